"""A backup is verified by restoring it into a scratch database and comparing every table's
rows and every dashboard figure with what the snapshot recorded; the result is recorded."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from api.backup_checks import compare_figures, verify_snapshot
from backups.dump import sha256, take_snapshot
from backups.models import BackupRun
from backups.scratch import MARK
from tests.backups.conftest import rewrite_snapshot
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    NearMissFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
)


@pytest.fixture
def data(db):
    payments = SystemFactory(name="Payments")
    for days in (3, 40, 100, 200):
        incident = IncidentFactory(
            started_at=timezone.now() - timedelta(days=days), systems=[(payments, "origin")]
        )
        SurpriseFactory(incident=incident)
    review = ReviewFactory(incident=incident)
    ActionItemFactory(review=review, due_date=timezone.now().date() - timedelta(days=1))
    NearMissFactory()


def _backup(*args: str) -> str:
    out = io.StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


def test_backup_verify_restores_it_and_records_that_every_figure_matched(data, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"

    output = _backup(str(path), "--verify")

    run = BackupRun.objects.get()
    assert run.verify_ok is True
    assert run.verified_at is not None
    assert "rows as in the snapshot" in run.detail
    compared = int(run.detail.split("; ")[1].split()[0])
    assert compared > 500  # every figure of every period, not a token few
    assert f"Verified: {run.detail}" in output


def _one_more_incident_recorded(lines: list) -> list:
    figures = lines[0]["figures"]["values"]
    figures["all_time"]["summary"]["incidents"]["current"] += 1
    return lines


def test_a_restore_that_does_not_reproduce_a_figure_fails_verification(data, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"
    _backup(str(path))
    expected = BackupRun.objects.get().row_counts
    changed = rewrite_snapshot(path, tmp_path / "changed.jsonl.gz", _one_more_incident_recorded)

    verification = verify_snapshot(changed)

    assert not verification.ok
    assert verification.detail.startswith("1 difference(s) after restoring: ")
    assert (
        "all_time.summary.incidents.current: 5 in the snapshot, 4 restored" in verification.detail
    )
    assert BackupRun.objects.get().row_counts == expected


def test_verify_backup_records_the_result_on_the_backup_it_checked(data, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"
    _backup(str(path))
    out = io.StringIO()

    call_command("verify_backup", str(path), stdout=out)

    run = BackupRun.objects.get()
    assert run.verify_ok is True
    assert out.getvalue().startswith("Verified: Restored into a scratch database")


def test_verify_backup_fails_a_backup_whose_file_has_changed(data, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"
    _backup(str(path))
    changed = rewrite_snapshot(path, tmp_path / "changed.jsonl.gz", _one_more_incident_recorded)
    changed.replace(path)

    with pytest.raises(CommandError, match="not the one the backup wrote"):
        call_command("verify_backup", str(path), stdout=io.StringIO())

    run = BackupRun.objects.get()
    assert run.verify_ok is False
    assert "sha256 differs" in run.detail


def test_verify_backup_of_a_file_cut_short_records_the_failure(data, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"
    _backup(str(path))
    run = BackupRun.objects.get()
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    run.sha256 = sha256(path)
    run.save()  # as if it had been cut short while it was written

    with pytest.raises(CommandError, match="cut short"):
        call_command("verify_backup", str(path), stdout=io.StringIO())
    run.refresh_from_db()
    assert run.verify_ok is False


def test_a_file_that_is_not_a_recorded_backup_is_verified_but_not_recorded(data, tmp_path):
    path = tmp_path / "elsewhere.jsonl.gz"
    take_snapshot(path)  # a snapshot no BackupRun knows (copied from another server, say)
    err = io.StringIO()

    call_command("verify_backup", str(path), stdout=io.StringIO(), stderr=err)

    assert "Not recorded" in err.getvalue()
    assert not BackupRun.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite verifies in a temp file")
def test_the_scratch_database_is_one_a_verification_made_or_none(data, tmp_path, settings):
    name = f"{connection.settings_dict['NAME']}_scratch_test"
    settings.BACKUP_VERIFY_DATABASE = name
    path = tmp_path / "snapshot.jsonl.gz"
    _backup(str(path))
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        # Someone's database of that name: never dropped, the verification refuses.
        with pytest.raises(CommandError, match=f"database '{name}' exists and was not made"):
            call_command("verify_backup", str(path), stdout=io.StringIO())
        # One a killed verification left behind (it carries the mark): replaced, then dropped.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [MARK])
        call_command("verify_backup", str(path), stdout=io.StringIO())
        assert BackupRun.objects.get().verify_ok is True
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone() is None
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_figures_compare_value_by_value_and_name_each_difference():
    snapshot = {"a": {"n": 3, "rate": 0.1 + 0.2, "rows": [1, 2]}, "gone": 1}
    restored = {"a": {"n": 4, "rate": 0.3, "rows": [1, 2, 3]}, "new": 1}
    differences, compared = compare_figures(snapshot, restored)
    assert differences == [
        "a.n: 3 in the snapshot, 4 restored",
        "a.rows: 2 items in the snapshot, 3 restored",
        "gone: only in the snapshot",
        "new: only in the restored copy",
    ]
    assert compared == 3  # n, rate (equal within rounding), rows
    assert compare_figures({"x": None}, {"x": 0})[0] == ["x: None in the snapshot, 0 restored"]
    assert compare_figures({"x": True}, {"x": 1})[0]  # a flag is not a count
