"""The whole way round, as in production: the demo data and writes through the API (token
auth), `manage.py backup --verify`, then `manage.py restore` into a fresh database, where
every table's row count, every dashboard figure, every API report, the incident list and
the published reviews' Markdown exports are the same, for a superuser's token and a
reader's alike (the tokens themselves restored, hashed as they were stored)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from api.backup_checks import compare_figures, database_figures
from backups.dump import row_counts
from backups.models import BackupRun
from backups.snapshot import read_manifest
from incidents.models import System
from reviews.models import Review
from tests.backups.answers import api_answers
from tests.backups.conftest import ON_POSTGRES, figures_of, manage, run_python

pytestmark = [
    pytest.mark.usefixtures("migration_data_back_after_the_module"),
    # Committed data: the backup then reads in a transaction of its own, as in production.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _login(username: str, password: str) -> str:
    response = APIClient().post(
        "/api/v1/auth/login/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _as(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _writes_through_the_api() -> int:
    """A responder logs a private incident with a surprise; a facilitator reviews and
    publishes it. Returns the new review's id."""
    responder = _as(_login("responder", "responder-demo-pass"))
    facilitator = _as(_login("facilitator", "facilitator-demo-pass"))
    system = System.objects.order_by("slug").first().slug
    incident = responder.post(
        "/api/v1/incidents/",
        {
            "title": "Ledger writes stall after the failover",
            "started_at": "2026-03-01T10:00:00Z",
            "severity": "SEV2",
            "is_private": True,
            "systems": [{"system": system, "role": "origin"}],
            "responders": ["facilitator"],
        },
        format="json",
    )
    assert incident.status_code == 201, incident.content
    reference = incident.json()["reference"]
    surprise = responder.post(
        "/api/v1/surprises/",
        {"incident": reference, "expected": "a failover in seconds", "observed": "minutes"},
        format="json",
    )
    assert surprise.status_code == 201, surprise.content
    review = facilitator.post(
        "/api/v1/reviews/",
        {"incident": reference, "narrative": "The replica **lagged**; nobody knew why."},
        format="json",
    )
    assert review.status_code == 201, review.content
    entry = facilitator.post(
        "/api/v1/timeline-entries/",
        {"incident": reference, "at": "2026-03-01T10:05:00Z", "text": "Pager fired"},
        format="json",
    )
    assert entry.status_code == 201, entry.content
    published = facilitator.post(f"/api/v1/reviews/{review.json()['id']}/publish/")
    assert published.status_code == 200, published.content
    return review.json()["id"]


def _round_trip(tmp_path, fresh_db):
    call_command("load_demo", stdout=io.StringIO())
    new_review = _writes_through_the_api()
    tokens = {
        "admin": _login("admin", "admin-demo-pass"),
        "reader": _login("reader", "reader-demo-pass"),
    }
    published = Review.objects.filter(status=Review.Status.PUBLISHED).order_by("pk")
    reviews = sorted({*published.values_list("pk", flat=True)[:5], new_review})
    private = Review.objects.filter(pk__in=reviews, incident__is_private=True)
    hidden = {
        f"/api/v1/reviews/{pk}/export/?format=md" for pk in private.values_list("pk", flat=True)
    }
    assert f"/api/v1/reviews/{new_review}/export/?format=md" in hidden
    path = tmp_path / "snapshot.jsonl.gz"

    call_command("backup", str(path), "--verify", stdout=io.StringIO())

    run = BackupRun.objects.get()
    assert run.verify_ok, run.detail
    manifest = read_manifest(path)
    assert manifest["tables"] == {**row_counts(), "backups_backuprun": 0}
    isolation = "repeatable read, read only" if ON_POSTGRES else "one transaction"
    assert manifest["database"]["isolation"] == isolation
    assert manifest["tables"]["reviews_historicalreview"] > 0  # the API's writes left history
    as_of = manifest["figures"]["as_of"]
    source = database_figures(as_of=date.fromisoformat(as_of))
    answers = {user: api_answers(token, reviews) for user, token in tokens.items()}

    manage("restore", str(path), database_url=fresh_db)

    restored = figures_of(fresh_db, as_of)
    assert restored["tables"] == manifest["tables"]
    assert restored["migrations"] == manifest["migrations"]
    differences, compared = compare_figures(source["figures"], restored["figures"])
    assert differences == []
    assert compared > 1000
    for user, token in tokens.items():
        restored_answers = run_python(
            "import json; from tests.backups.answers import api_answers; "
            f"print(json.dumps(api_answers({token!r}, {reviews!r})))",
            database_url=fresh_db,
        )
        # Through JSON on both sides, as the restored side's answers came.
        assert restored_answers == json.loads(json.dumps(answers[user])), user
        refused = {path for path, (status, _body) in restored_answers.items() if status != 200}
        # Private incidents stay private: their reviews are a 404 for the reader, restored
        # or not (the one logged through the API among them).
        assert refused == (hidden if user == "reader" else set()), user


@pytest.mark.skipif(
    not ON_POSTGRES, reason="PostgreSQL: the suite runs on SQLite (CI's PostgreSQL pass runs it)"
)
def test_round_trip_on_postgresql(tmp_path, fresh_db):
    assert connection.vendor == "postgresql"
    _round_trip(tmp_path, fresh_db)


@pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite: the suite runs on PostgreSQL (test_round_trip_on_postgresql)"
)
def test_round_trip_on_sqlite(tmp_path, fresh_db):
    assert connection.vendor == "sqlite"
    _round_trip(tmp_path, fresh_db)
