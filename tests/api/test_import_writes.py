"""What an import writes: nothing in a dry run (no reference number used up either), the same
number of queries for 3 rows as for 60, consecutive references, and the signals' history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, Surprise, System
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, SystemFactory, TeamFactory, UserFactory

URL = "/api/v1/incidents/import/"
WRITES = ("INSERT", "UPDATE", "DELETE")


def _rows(count: int, *, start: int = 0) -> list[dict]:
    """Rows that use every part of a row: teams, a lead, known and new systems, signals."""
    return [
        {
            "title": f"Imported {number}",
            "started_at": "2026-02-01T10:00:00Z",
            "external_id": f"ext-{number}",
            "lead": "lena",
            "teams": ["checkout", "search"],
            "systems": [
                {"name": "payments", "role": "origin"},
                {"name": f"new-{number % 7}"},
            ],
            "surprises": [{"expected": "a", "observed": "b", "system": "payments"}],
            "difficulties": [{"category": "tooling", "description": "no logs"}],
            "ownership_gaps": [{"kind": "no_owner", "system": f"new-{number % 7}"}],
        }
        for number in range(start, start + count)
    ]


@pytest.fixture
def catalog(db):
    UserFactory(username="lena")
    TeamFactory(name="Checkout")
    TeamFactory(name="Search")
    SystemFactory(name="payments")


def _import_queries(user, rows, *, dry_run=False) -> tuple[list[str], dict]:
    client = client_for(user)
    client.get("/api/v1/teams/")  # the session and the user are loaded once, not counted
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"{URL}?dry_run={str(dry_run).lower()}", rows)
    assert response.status_code == (200 if dry_run else 201), response.json()
    return [query["sql"] for query in captured.captured_queries], response.json()


def test_the_import_costs_the_same_queries_for_3_rows_as_for_60(responder, catalog):
    few, _ = _import_queries(responder, _rows(3))
    many, body = _import_queries(responder, _rows(60, start=100))
    assert len(body["created"]) == 60
    assert len(many) == len(few), "\n".join(many)


def test_a_dry_run_reads_and_writes_nothing(responder, catalog):
    queries, body = _import_queries(responder, _rows(5), dry_run=True)
    assert [sql for sql in queries if sql.lstrip().upper().startswith(WRITES)] == []
    assert body["created"] == ["row 1", "row 2", "row 3", "row 4", "row 5"]
    assert body["systems_created"] == [f"new-{n}" for n in range(5)]
    assert not Incident.objects.exists()
    assert list(System.objects.values_list("name", flat=True)) == ["payments"]


def test_a_dry_run_reports_what_the_real_run_then_does(responder, catalog):
    IncidentFactory(source="import", external_id="ext-1")
    dry = client_for(responder).post(f"{URL}?dry_run=true", _rows(3)).json()
    real = client_for(responder).post(URL, _rows(3)).json()
    assert dry["skipped"] == real["skipped"]
    assert dry["systems_created"] == real["systems_created"]
    assert len(dry["created"]) == len(real["created"]) == 2


def test_the_references_of_an_import_follow_the_last_incident_even_after_a_dry_run(
    responder, catalog
):
    # On PostgreSQL a rolled-back insert still uses up its sequence value: a dry run that
    # inserted and rolled back left a gap of its size in the references.
    last = IncidentFactory()
    client_for(responder).post(f"{URL}?dry_run=true", _rows(4))
    created = client_for(responder).post(URL, _rows(4, start=10)).json()["created"]
    assert created == [Incident.reference_for(last.pk + n) for n in range(1, 5)]
    assert list(
        Incident.objects.filter(reference__in=created)
        .order_by("pk")
        .values_list("title", flat=True)
    ) == [f"Imported {n}" for n in range(10, 14)]


def test_imported_signals_are_in_their_history_as_created_by_the_importer(responder, catalog):
    client_for(responder).post(URL, _rows(2))
    history = Surprise.history.all()
    assert history.count() == 2
    assert {(record.history_type, record.history_user) for record in history} == {("+", responder)}


def test_an_imported_incident_reads_back_as_it_was_sent(responder, catalog):
    reference = client_for(responder).post(URL, _rows(1)).json()["created"][0]
    incident = client_for(responder).get(f"/api/v1/incidents/{reference}/").json()
    assert incident["lead"] == "lena"
    assert sorted(incident["teams"]) == ["checkout", "search"]
    assert sorted((s["system"], s["role"]) for s in incident["systems"]) == [
        ("new-0", "impacted"),
        ("payments", "origin"),
    ]
    assert [s["system"] for s in incident["surprises"]] == ["payments"]
    assert [g["system"] for g in incident["ownership_gaps"]] == ["new-0"]
    assert len(incident["difficulties"]) == 1
