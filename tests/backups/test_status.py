"""The backups' status: on the dashboard for superusers, and in /readyz for monitors, which
stays 200 however old the last backup is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.status import backup_status
from tests.factories import BackupRunFactory

pytestmark = pytest.mark.django_db


def test_readyz_stays_ready_and_says_no_backup_was_taken(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["backup"]["last_taken_at"] is None
    assert body["backup"]["stale"] is True
    assert body["backup"]["warnings"] == ["No backup has been taken."]


def test_readyz_reports_a_recent_verified_backup_without_warnings(client):
    run = BackupRunFactory(taken_at=timezone.now() - timedelta(hours=3))
    run.record_verification(ok=True, detail="fine")

    backup = client.get("/readyz").json()["backup"]

    assert backup["last_taken_at"] == run.taken_at.isoformat()
    assert backup["age_hours"] == pytest.approx(3, abs=0.1)
    assert backup["max_age_hours"] == 26
    assert backup["stale"] is False
    assert backup["verified"] is True
    assert backup["last_verified_taken_at"] == run.taken_at.isoformat()
    assert backup["warnings"] == []


def test_a_backup_older_than_the_limit_is_a_warning_not_an_outage(client, settings):
    settings.BACKUP_MAX_AGE_HOURS = 2
    BackupRunFactory(taken_at=timezone.now() - timedelta(hours=3), verify_ok=True)

    response = client.get("/readyz")

    assert response.status_code == 200
    backup = response.json()["backup"]
    assert backup["stale"] is True
    assert backup["warnings"] == ["The last backup is 3 hours old (more than 2)."]


def test_an_unverified_or_failed_backup_is_a_warning(client):
    BackupRunFactory(taken_at=timezone.now() - timedelta(days=2), verify_ok=True)
    BackupRunFactory(verify_ok=None)
    assert client.get("/readyz").json()["backup"]["warnings"] == [
        "The last backup has not been verified by a restore."
    ]
    BackupRunFactory(verify_ok=False, detail="2 difference(s)")
    backup = client.get("/readyz").json()["backup"]
    assert backup["verified"] is False
    assert backup["warnings"] == ["Restoring the last backup did not reproduce the data."]
    # The last good one is still named, so an operator knows what to fall back on.
    assert backup["last_verified_taken_at"] is not None


def test_the_public_probe_shows_neither_the_path_nor_the_differences(client):
    BackupRunFactory(
        path="/srv/secret-folder/incidents.jsonl.gz",
        verify_ok=False,
        detail="last_quarter.systems[0].name: 'Payments Ledger' in the snapshot",
    )
    text = client.get("/readyz").content.decode()
    assert "secret-folder" not in text
    assert "Payments Ledger" not in text


def test_the_status_is_two_queries_whatever_the_history(django_assert_num_queries):
    for hours in range(20):
        BackupRunFactory(taken_at=timezone.now() - timedelta(hours=hours), verify_ok=True)
    with django_assert_num_queries(2):
        assert backup_status().stale is False


def test_the_dashboard_shows_the_backups_to_superusers(client, superuser):
    run = BackupRunFactory(taken_at=timezone.now() - timedelta(hours=30))
    run.record_verification(ok=False, detail="incidents_incident: 150 rows in the snapshot")
    client.force_login(superuser)

    page = client.get("/dashboard/").content.decode()

    assert "Last backup taken" in page
    assert "restoring it did not reproduce the data" in page
    assert "incidents_incident: 150 rows in the snapshot" in page
    assert "The last backup is 30 hours old (more than 26)." in page


def test_the_dashboard_shows_no_backups_to_anyone_else(client, facilitator):
    BackupRunFactory()
    client.force_login(facilitator)  # staff, not a superuser
    page = client.get("/dashboard/").content.decode()
    assert 'id="backup-status"' not in page
    assert "Last backup taken" not in page


def test_the_dashboard_says_when_no_backup_was_ever_taken(client, superuser):
    client.force_login(superuser)
    page = client.get("/dashboard/").content.decode()
    assert 'id="backup-status"' in page
    assert "No backup has been taken." in page
