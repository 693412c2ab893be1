"""A snapshot taken at an older schema restores with today's code and its rows arrive
migrated. incidents 0004 repairs the slugs a URL cannot carry (empty ones above all) and 0005
forbids empty slugs: a snapshot of a database still at incidents 0003 is restored at 0003,
its rows loaded, and 0004 and 0005 then run on them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from api.backup_checks import verify_snapshot
from backups.snapshot import read_manifest
from incidents.models import Incident
from incidents.roles import FACILITATORS, RESPONDERS
from incidents.slugs import slug_for
from tests.backups.conftest import figures_of, manage, run_python

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
BEFORE_THE_REPAIR = [("incidents", "0003_timeline_and_themes_from_reviews")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.usefixtures("migration_data_back_after_the_module")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_snapshot_from_before_a_data_migration_restores_migrated(tmp_path, fresh_db):
    for name in (FACILITATORS, RESPONDERS):  # a transactional test before may have flushed them
        Group.objects.get_or_create(name=name)
    call_command("loaddata", str(FIXTURE), verbosity=0)
    incidents = Incident.objects.count()
    path = tmp_path / "older.jsonl.gz"
    executor = _migrate(BEFORE_THE_REPAIR)
    try:
        old = executor.loader.project_state(BEFORE_THE_REPAIR).apps
        # What the old slugify() left behind, which 0004 repairs.
        old.get_model("incidents", "System").objects.create(name="数据库", slug="")
        old.get_model("incidents", "Team").objects.create(name="运维", slug="")
        old.get_model("incidents", "System").objects.create(
            name="Tape library", slug="tape library"
        )
        # Today's code backs up a database that still waits for `migrate`.
        call_command("backup", str(path), stdout=io.StringIO())
    finally:
        executor = _migrate(executor.loader.graph.leaf_nodes())

    manifest = read_manifest(path)
    assert manifest["migrations"]["incidents"][-1] == "0003_timeline_and_themes_from_reviews"
    assert manifest["figures"]["values"] is None  # the selectors need today's schema
    assert manifest["figures"]["note"] == "migrations pending"

    result = manage("restore", str(path), database_url=fresh_db)

    in_snapshot = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    newer = set(executor.loader.applied_migrations) - in_snapshot
    assert ("incidents", "0005_slugs_never_empty") in newer
    assert f"{len(newer)} newer migration(s) applied since" in result.stdout
    restored = run_python(
        "import json; from incidents.models import Incident, System, Team; print(json.dumps({"
        "'systems': dict(System.objects.values_list('name', 'slug')),"
        "'teams': dict(Team.objects.values_list('name', 'slug')),"
        "'incidents': Incident.objects.count()}))",
        database_url=fresh_db,
    )
    assert restored["systems"]["数据库"] == slug_for("数据库")
    assert restored["systems"]["Tape library"] == "tape-library"
    assert restored["teams"]["运维"] == slug_for("运维")
    assert restored["incidents"] == incidents
    figures = figures_of(fresh_db, manifest["figures"]["as_of"])
    ((_app, latest),) = executor.loader.graph.leaf_nodes("incidents")
    assert figures["migrations"]["incidents"][-1] == latest

    # Its verification says what it could and could not compare.
    verification = verify_snapshot(path)
    assert verification.ok, verification.detail
    assert "migrated forward from an older schema" in verification.detail
    assert "no figures recorded (migrations pending)" in verification.detail
