"""`manage.py restore`, run as an operator runs it: into an empty database, or one that only
the migrations have written to; a database with data is refused unless --replace; a restore
that fails half-way leaves the database as it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from backups.snapshot import read_manifest
from incidents.days import utc_today
from incidents.models import Team
from tests.backups.conftest import figures_of, manage, rewrite_snapshot, run_python
from tests.factories import IncidentFactory, SurpriseFactory, TeamFactory

TODAY = utc_today().isoformat()


def _backup(path: Path) -> Path:
    call_command("backup", str(path), stdout=io.StringIO())
    return path


@pytest.fixture
def first(db, tmp_path) -> Path:
    TeamFactory(name="Checkout")
    SurpriseFactory(incident=IncidentFactory(title="The first outage"))
    return _backup(tmp_path / "first.jsonl.gz")


@pytest.fixture
def second(first, tmp_path) -> Path:
    SurpriseFactory(incident=IncidentFactory(title="The second outage"))
    return _backup(tmp_path / "second.jsonl.gz")


def _titles(database_url: str) -> list[str]:
    return run_python(
        "import json; from incidents.models import Incident; "
        "print(json.dumps(sorted(Incident.objects.values_list('title', flat=True))))",
        database_url=database_url,
    )


def test_an_empty_database_gets_every_table_of_the_snapshot(first, fresh_db):
    result = manage("restore", str(first), database_url=fresh_db)

    restored = figures_of(fresh_db, TODAY)
    assert restored["tables"] == read_manifest(first)["tables"]
    assert restored["migrations"] == read_manifest(first)["migrations"]
    assert _titles(fresh_db) == ["The first outage"]
    assert "Restored" in result.stdout
    # The queue's stored cues are not in the snapshot: the restore computes them.
    assert "reviews_waiting_incident" not in read_manifest(first)["tables"]
    waiting = run_python(
        "import json; from reviews.models import WaitingIncident; "
        "print(json.dumps(list(WaitingIncident.objects.values_list('incident__title', flat=True))))",
        database_url=fresh_db,
    )
    assert waiting == ["The first outage"]


def test_a_database_only_the_migrations_wrote_to_counts_as_empty(first, fresh_db):
    manage("migrate", "--no-input", database_url=fresh_db)  # role groups, permissions...
    manage("restore", str(first), database_url=fresh_db)
    assert figures_of(fresh_db, TODAY)["tables"] == read_manifest(first)["tables"]


def test_a_database_with_data_is_refused_and_left_as_it_was(first, second, fresh_db):
    manage("restore", str(first), database_url=fresh_db)
    before = figures_of(fresh_db, TODAY)

    refused = manage("restore", str(second), database_url=fresh_db, expect_ok=False)

    assert "Nothing was restored" in refused.stderr
    assert "the database is not empty" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert figures_of(fresh_db, TODAY) == before


def test_replace_replaces_everything_in_the_database(first, second, fresh_db):
    manage("restore", str(first), database_url=fresh_db)
    manage("restore", str(second), "--replace", database_url=fresh_db)
    assert figures_of(fresh_db, TODAY)["tables"] == read_manifest(second)["tables"]
    assert _titles(fresh_db) == ["The first outage", "The second outage"]


def _a_team_twice(lines: list) -> list:
    """The snapshot with its first team's row twice: the insert fails on the primary key,
    after every table was dropped and most rows were loaded."""
    header = next(
        index
        for index, line in enumerate(lines)
        if isinstance(line, dict) and line.get("name") == "incidents_team"
    )
    lines[header]["rows"] += 1
    lines[0]["tables"]["incidents_team"] += 1
    lines[-1]["rows"] += 1
    return [*lines[: header + 2], lines[header + 1], *lines[header + 2 :]]


def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(
    first, second, fresh_db, tmp_path
):
    manage("restore", str(first), database_url=fresh_db)
    before = figures_of(fresh_db, TODAY)
    broken = rewrite_snapshot(second, tmp_path / "broken.jsonl.gz", _a_team_twice)

    failed = manage("restore", str(broken), "--replace", database_url=fresh_db, expect_ok=False)

    assert "failed and was rolled back" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert figures_of(fresh_db, TODAY) == before
    assert _titles(fresh_db) == ["The first outage"]


def test_ids_continue_after_the_highest_the_snapshot_handed_out(db, tmp_path, fresh_db):
    TeamFactory(name="Kept")
    deleted = TeamFactory(name="Deleted").pk
    Team.objects.filter(pk=deleted).delete()
    snapshot = _backup(tmp_path / "snapshot.jsonl.gz")
    manage("restore", str(snapshot), database_url=fresh_db)

    new_id = run_python(
        "from incidents.models import Team; print(Team.objects.create(name='New').pk)",
        database_url=fresh_db,
    )

    # A deleted row's id is not handed out again (an incident's reference is drawn from it).
    assert new_id > deleted
