"""/api/v1/incidents/: role matrix, privacy, filters, pagination, idempotency, CSV, export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from incidents.services import incidents as incident_services
from reviews.models import Review
from tests.api.conftest import client_for
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    TimelineEntryFactory,
)

NEW = {"title": "Checkout returns 502", "started_at": "2026-03-01T10:00:00Z", "severity": "SEV2"}


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [("reader", 403), ("responder", 201), ("facilitator", 201), ("superuser", 201)],
)
def test_who_may_log_an_incident(request, person, expected):
    response = client_for(request.getfixturevalue(person)).post("/api/v1/incidents/", NEW)
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 200), ("facilitator", 200)]
)
def test_who_may_edit_an_incident(db, request, person, expected):
    incident = IncidentFactory()
    response = client_for(request.getfixturevalue(person)).patch(
        f"/api/v1/incidents/{incident.reference}/", {"status": "closed"}
    )
    assert response.status_code == expected
    incident.refresh_from_db()
    assert (incident.status == "closed") == (expected == 200)


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 403), ("facilitator", 204)]
)
def test_only_facilitators_delete_incidents(db, request, person, expected):
    incident = IncidentFactory()
    response = client_for(request.getfixturevalue(person)).delete(
        f"/api/v1/incidents/{incident.reference}/"
    )
    assert response.status_code == expected
    assert Incident.objects.filter(pk=incident.pk).exists() == (expected != 204)


def test_a_private_incident_is_404_for_outsiders_and_missing_from_lists(outsider, responder):
    incident = IncidentFactory(is_private=True)
    incident.responders.add(responder)
    response = client_for(outsider).get(f"/api/v1/incidents/{incident.reference}/")
    assert response.status_code == 404
    assert client_for(outsider).get("/api/v1/incidents/").json()["count"] == 0
    assert _csv(client_for(outsider).get("/api/v1/incidents/export/")) == []
    assert client_for(responder).get(f"/api/v1/incidents/{incident.reference}/").status_code == 200


def test_a_hidden_incident_cannot_be_edited_or_deleted_even_by_a_facilitator(facilitator):
    incident = IncidentFactory(is_private=True)
    client = client_for(facilitator)
    assert client.patch(f"/api/v1/incidents/{incident.reference}/", {}).status_code == 404
    assert client.delete(f"/api/v1/incidents/{incident.reference}/").status_code == 404


# --- content ---------------------------------------------------------------------------------


def test_detail_nests_systems_with_roles_timeline_and_signals(reader):
    origin, impacted = SystemFactory(name="payments"), SystemFactory(name="gateway")
    incident = IncidentFactory(systems=[(origin, "origin"), impacted])
    TimelineEntryFactory(incident=incident, text="Pager went off")
    SurpriseFactory(incident=incident, expected="retries", observed="a storm")
    DifficultyFactory(incident=incident)
    body = client_for(reader).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert body["systems"] == [
        {
            "system": "payments",
            "name": "payments",
            "owner_team": origin.owner_team.slug,
            "role": "origin",
        },
        {
            "system": "gateway",
            "name": "gateway",
            "owner_team": impacted.owner_team.slug,
            "role": "impacted",
        },
    ]
    assert [entry["text"] for entry in body["timeline"]] == ["Pager went off"]
    assert body["surprises"][0]["observed"] == "a storm"
    assert len(body["difficulties"]) == 1
    assert body["review_status"] is None


def test_create_with_systems_teams_and_responders(responder, facilitator):
    system, team = SystemFactory(name="search"), TeamFactory(name="Discovery")
    response = client_for(responder).post(
        "/api/v1/incidents/",
        {
            **NEW,
            "systems": [{"system": "search", "role": "origin"}],
            "teams": ["discovery"],
            "responders": ["fran"],
        },
    )
    assert response.status_code == 201
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert list(incident.system_roles.values_list("system", "role")) == [(system.pk, "origin")]
    assert list(incident.teams.all()) == [team]
    assert list(incident.responders.all()) == [facilitator]
    assert incident.source == Incident.Source.API
    assert response["Location"].endswith(f"/api/v1/incidents/{incident.reference}/")


def test_a_system_named_twice_is_refused(responder):
    SystemFactory(name="search")
    response = client_for(responder).post(
        "/api/v1/incidents/",
        {**NEW, "systems": [{"system": "search"}, {"system": "search", "role": "origin"}]},
    )
    assert response.status_code == 400
    assert "search repeated" in response.json()["fields"]["systems"][0]


def test_whoever_logs_a_private_incident_can_still_see_it(responder):
    response = client_for(responder).post("/api/v1/incidents/", {**NEW, "is_private": True})
    assert response.status_code == 201
    assert response.json()["lead"] == "rita"
    reference = response.json()["reference"]
    assert client_for(responder).get(f"/api/v1/incidents/{reference}/").status_code == 200


def test_update_replaces_the_systems(responder):
    old, new = SystemFactory(), SystemFactory()
    incident = IncidentFactory(systems=[old])
    response = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"systems": [{"system": new.slug}]}
    )
    assert response.status_code == 200
    assert [item["system"] for item in response.json()["systems"]] == [new.slug]


def test_an_edit_whose_systems_entry_names_no_system_is_400_not_500(responder):
    # A PATCH is partial for the incident's fields, but each entry of the `systems` that
    # replaces the incident's still needs its system (it was a KeyError, a 500).
    incident = IncidentFactory(systems=[SystemFactory()])
    client = client_for(responder)
    for method in (client.patch, client.put):
        response = method(
            f"/api/v1/incidents/{incident.reference}/", {**NEW, "systems": [{"role": "origin"}]}
        )
        assert response.status_code == 400
        assert response.json()["fields"]["systems"] == {
            "0": {"system": ["This field is required."]}
        }


# --- idempotency -----------------------------------------------------------------------------


def test_posting_the_same_external_id_again_returns_the_existing_incident(responder):
    payload = {**NEW, "source": "alertmanager", "external_id": "alert-42"}
    first = client_for(responder).post("/api/v1/incidents/", payload)
    again = client_for(responder).post("/api/v1/incidents/", payload)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    assert Incident.objects.filter(external_id="alert-42").count() == 1


def test_the_same_external_id_from_another_source_is_another_incident(responder):
    client = client_for(responder)
    client.post("/api/v1/incidents/", {**NEW, "source": "alertmanager", "external_id": "42"})
    response = client.post(
        "/api/v1/incidents/", {**NEW, "source": "pagerduty", "external_id": "42"}
    )
    assert response.status_code == 201
    assert Incident.objects.filter(external_id="42").count() == 2


def test_a_repeat_of_a_hidden_private_incident_is_409(responder):
    IncidentFactory(is_private=True, source="pagerduty", external_id="P123")
    response = client_for(responder).post(
        "/api/v1/incidents/", {**NEW, "source": "pagerduty", "external_id": "P123"}
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_a_post_that_loses_the_race_returns_the_winner(responder, monkeypatch):
    """Both posts saw no incident; the second insert hits the unique constraint."""
    winner = IncidentFactory(source="api", external_id="race-1")
    real_existing = incident_services._existing
    lookups = []

    def first_lookup_misses(source, external_id):
        lookups.append(external_id)
        return None if len(lookups) == 1 else real_existing(source, external_id)

    monkeypatch.setattr(incident_services, "_existing", first_lookup_misses)
    response = client_for(responder).post("/api/v1/incidents/", {**NEW, "external_id": "race-1"})
    assert response.status_code == 200
    assert response.json()["reference"] == winner.reference
    assert Incident.objects.filter(external_id="race-1").count() == 1


# --- filters, ordering, pagination -----------------------------------------------------------


def test_filters_follow_the_shared_contract(reader):
    payments = SystemFactory(name="payments")
    inside = IncidentFactory(
        severity="SEV1", started_at=datetime(2026, 3, 31, 23, 59, tzinfo=UTC), systems=[payments]
    )
    IncidentFactory(
        severity="SEV1", started_at=datetime(2026, 4, 1, tzinfo=UTC), systems=[payments]
    )
    IncidentFactory(
        severity="SEV3", started_at=datetime(2026, 3, 15, tzinfo=UTC), systems=[payments]
    )
    IncidentFactory(severity="SEV1", started_at=datetime(2026, 3, 15, tzinfo=UTC))
    response = client_for(reader).get(
        "/api/v1/incidents/?start=2026-03-01&end=2026-04-01&severity=SEV1&system=payments"
    )
    assert [item["reference"] for item in response.json()["results"]] == [inside.reference]


def test_review_status_and_has_filters(reader):
    reviewed = IncidentFactory()
    ReviewFactory(incident=reviewed, status=Review.Status.PUBLISHED)
    surprising = IncidentFactory()
    SurpriseFactory(incident=surprising)
    client = client_for(reader)
    published = client.get("/api/v1/incidents/?review_status=published").json()["results"]
    assert [item["reference"] for item in published] == [reviewed.reference]
    with_surprise = client.get("/api/v1/incidents/?has=surprise").json()["results"]
    assert [item["reference"] for item in with_surprise] == [surprising.reference]
    none = client.get("/api/v1/incidents/?review_status=none").json()["results"]
    assert [item["reference"] for item in none] == [surprising.reference]


def test_pages_never_repeat_or_skip_incidents_that_started_together(reader):
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    created = {IncidentFactory(started_at=moment).reference for _ in range(7)}
    client = client_for(reader)
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/incidents/?page_size=3&page={page}&ordering=started_at").json()
        seen += [item["reference"] for item in body["results"]]
    assert len(seen) == 7
    assert set(seen) == created


def test_ordering_by_severity(reader):
    IncidentFactory(severity="SEV3")
    IncidentFactory(severity="SEV1")
    body = client_for(reader).get("/api/v1/incidents/?ordering=severity").json()
    assert [item["severity"] for item in body["results"]] == ["SEV1", "SEV3"]


def test_a_list_page_costs_the_same_number_of_queries_for_5_or_50_incidents(reader):
    client = client_for(reader)
    client.get("/api/v1/incidents/")  # session and groups warmed up

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/incidents/?page_size=50").status_code == 200
        return len(captured)

    for _ in range(5):
        IncidentFactory(systems=[SystemFactory(), SystemFactory()], teams=[TeamFactory()])
    few = queries_for_page()
    for _ in range(45):
        IncidentFactory(systems=[SystemFactory(), SystemFactory()], teams=[TeamFactory()])
    many = queries_for_page()
    assert few == many


# --- CSV and export --------------------------------------------------------------------------


def test_list_as_csv_has_every_filtered_incident_not_one_page(reader):
    for _ in range(3):
        IncidentFactory(severity="SEV2", systems=[SystemFactory(name=f"s{_}")])
    IncidentFactory(severity="SEV4")
    response = client_for(reader).get("/api/v1/incidents/?format=csv&severity=SEV2&page_size=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="incidents.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 3
    assert {row["severity"] for row in rows} == {"SEV2"}
    assert rows[0]["systems"].endswith(":impacted")


def test_accept_text_csv_gives_csv(reader):
    IncidentFactory(title="By header")
    response = client_for(reader).get("/api/v1/incidents/", HTTP_ACCEPT="text/csv")
    assert [row["title"] for row in _csv(response)] == ["By header"]


def test_csv_of_an_empty_list_still_has_its_header(reader):
    response = client_for(reader).get("/api/v1/incidents/?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("id,reference,web_url,title,")


def test_export_has_signal_counts_and_systems(reader):
    system = SystemFactory(name="ledger")
    incident = IncidentFactory(systems=[(system, "origin")])
    SurpriseFactory(incident=incident)
    SurpriseFactory(incident=incident)
    DifficultyFactory(incident=incident)
    ReviewFactory(incident=incident, status=Review.Status.IN_PROGRESS)
    rows = _csv(client_for(reader).get("/api/v1/incidents/export/?format=csv"))
    assert rows == [
        {
            **rows[0],
            "reference": incident.reference,
            "systems": "ledger:origin",
            "surprise_count": "2",
            "difficulty_count": "1",
            "ownership_gap_count": "0",
            "review_status": "in_progress",
        }
    ]


def test_export_streams_with_a_fixed_number_of_queries(reader):
    client = client_for(reader)
    client.get("/api/v1/teams/")

    def queries_for_export() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/incidents/export/")
            assert response.streaming
            rows = _csv(response)
        return len(captured), len(rows)

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(3):
        SurpriseFactory(incident=IncidentFactory(started_at=start + timedelta(hours=number)))
    few_queries, few_rows = queries_for_export()
    for number in range(60):
        SurpriseFactory(incident=IncidentFactory(started_at=start + timedelta(days=number)))
    many_queries, many_rows = queries_for_export()
    assert (few_rows, many_rows) == (3, 63)
    assert few_queries == many_queries


def test_export_applies_the_filters(reader):
    IncidentFactory(severity="SEV1")
    IncidentFactory(severity="SEV2")
    rows = _csv(client_for(reader).get("/api/v1/incidents/export/?severity=SEV1"))
    assert [row["severity"] for row in rows] == ["SEV1"]


def test_export_is_csv_only(reader):
    response = client_for(reader).get("/api/v1/incidents/export/?format=json")
    assert response.status_code == 400
