"""`manage.py backup`: every table but the skipped ones, read in one transaction, in a file
only its owner can read, recorded with its checksum and row counts."""

from __future__ import annotations

import gzip
import io
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from knox.models import AuthToken

from backups.dump import applied_migrations, row_counts, sha256, take_snapshot
from backups.models import BackupRun
from backups.snapshot import read_manifest, table_rows
from incidents.models import Team
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.factories import (
    IncidentFactory,
    ReviewFactory,
    SurpriseFactory,
    TeamFactory,
    TimelineEntryFactory,
)


def _backup(*args: str) -> str:
    out = io.StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def some_data(db, reader):
    incident = IncidentFactory(is_private=True)
    SurpriseFactory(incident=incident)
    TimelineEntryFactory(incident=incident)  # with its history row
    ReviewFactory(incident=incident)


def test_a_backup_holds_every_table_but_the_skipped_ones_and_is_recorded(some_data, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"

    output = _backup(str(path))

    manifest = read_manifest(path)
    # Its own record is written once the file is complete, so it is not in the file.
    assert manifest["tables"] == {**row_counts(), "backups_backuprun": 0}
    assert manifest["tables"]["incidents_incident"] == 1
    assert manifest["tables"]["reviews_historicaltimelineentry"] == 1  # history is data too
    for table in ("auth_user", "auth_group", "auth_permission", "knox_authtoken"):
        assert table in manifest["tables"]
    assert "django_migrations" not in manifest["tables"]  # it is the manifest's "migrations"
    assert manifest["migrations"] == applied_migrations()
    ((_app, latest),) = MigrationLoader(None).graph.leaf_nodes("incidents")
    assert manifest["migrations"]["incidents"][-1] == latest
    skipped = manifest["skipped_tables"]
    assert {"axes_accessattempt", "django_session"} <= set(skipped)
    assert "lock people out again" in skipped["axes_accessattempt"]
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["app"]["version"] == "0.1.0"
    assert manifest["figures"]["values"]["last_quarter"]["summary"]["incidents"]
    run = BackupRun.objects.get()
    assert (run.path, run.size, run.sha256) == (str(path), path.stat().st_size, sha256(path))
    assert run.row_counts == manifest["tables"]
    assert run.verify_ok is None
    assert f"Backup written: {path}" in output
    # It holds password hashes and private incidents: its owner's eyes only.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_api_tokens_are_kept_hashed_as_stored(db, reader, tmp_path):
    token, plain = AuthToken.objects.create(user=reader)
    path = tmp_path / "snapshot.jsonl.gz"
    _backup(str(path))
    text = gzip.decompress(path.read_bytes()).decode()
    assert token.digest in text
    assert plain not in text


def test_a_backup_never_overwrites_a_file(db, tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_text("yesterday's")
    with pytest.raises(CommandError, match="exists; a backup never overwrites a file"):
        _backup(str(path))
    assert path.read_text() == "yesterday's"
    assert not BackupRun.objects.exists()


def test_a_backup_into_a_missing_folder_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        _backup(str(tmp_path / "nowhere" / "snapshot.jsonl.gz"))


def test_by_default_it_writes_a_timestamped_file_in_backup_dir(db, tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    _backup()
    (path,) = (tmp_path / "backups").iterdir()
    assert path.name.startswith("incidents-")
    assert path.name.endswith("Z.jsonl.gz")
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700
    assert BackupRun.objects.get().path == str(path)
    assert not list(Path(tmp_path / "backups").glob("*.partial"))


def test_a_backup_dir_that_cannot_be_made_is_a_clear_error(db, tmp_path, settings):
    (tmp_path / "a-file").write_text("")
    settings.BACKUP_DIR = tmp_path / "a-file" / "backups"
    with pytest.raises(CommandError, match=r"Cannot create BACKUP_DIR .*set BACKUP_DIR"):
        _backup()
    assert not BackupRun.objects.exists()


@concurrent_test
def test_every_table_is_read_as_of_one_moment(tmp_path):
    TeamFactory(name="Before")

    def commit_a_team_meanwhile():
        # Runs inside the snapshot's transaction, after the rows were counted and before any
        # table is read: another connection commits a team. Read committed, the team table
        # would hold a row more than counted (and the backup fail); repeatable read, the
        # snapshot never sees it.
        (outcome,) = at_the_same_moment(lambda: TeamFactory(name="During"))
        outcome.result()
        return {}

    path = tmp_path / "snapshot.jsonl.gz"
    snapshot = take_snapshot(path, figures=commit_a_team_meanwhile)

    assert snapshot.manifest["database"]["isolation"] == "repeatable read, read only"
    names = set()
    for table, rows in table_rows(path):
        if table.name == "incidents_team":
            name = table.columns.index("name")
            names |= {row[name] for row in rows}
    assert names == {"Before"}
    assert snapshot.manifest["tables"]["incidents_team"] == 1
    assert Team.objects.filter(name="During").exists()
