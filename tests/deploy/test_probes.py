"""/healthz and /readyz: public, cheap, and honest about the database and its migrations."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_login_and_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ok_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    # Ready, with the backups' status beside it (tests/backups/test_status.py).
    assert response.json()["status"] == "ok"


def test_readyz_names_a_migration_that_is_not_applied(client):
    latest = (
        MigrationRecorder(connection)
        .migration_qs.filter(app="incidents")
        .order_by("-applied", "-id")
        .first()
    )
    MigrationRecorder(connection).record_unapplied("incidents", latest.name)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "detail": f"1 migration(s) not applied: incidents.{latest.name}",
    }


def test_probes_ignore_the_host_check_and_the_https_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["incidents.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="10.0.0.7:8000").status_code == 200, path
    # The rest of the site keeps both.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="incidents.example.com").status_code == 301


def test_probes_answer_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
