"""Migrations that move models between apps keep every row (issue 8).

incidents 0003 / reviews 0005 moved the timeline and the theme codebook from reviews/ to
incidents/ in Django's state only. A database that holds the demo data is taken back to the
schema before the move and forward again; every row of every table must come out as it went in,
and the content types (which the roles' permissions and the admin log point to) must follow the
models both ways.

Migrations after the move add tables and columns (incidents 0006: deployments, an incident's
cause) that going back drops with their data: the rows are compared on what the schema before
the move holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.roles import FACILITATORS, RESPONDERS

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
BEFORE_THE_MOVE = [
    ("incidents", "0002_signal_history"),
    ("reviews", "0004_role_permissions_participants"),
]
MOVED = {"theme", "timelineentry", "historicaltimelineentry"}


def _every_row(like: dict | None = None) -> dict[str, list[tuple]]:
    """Every row of every table but Django's record of applied migrations; with `like` (a
    snapshot taken with `_columns`), only its tables and columns."""
    with connection.cursor() as cursor:
        # The rollups are derived from the rows compared here: moving rows back and forth
        # marks their months for a refresh (dashboards/rollups/triggers.py).
        tables = sorted(
            name
            for name in connection.introspection.table_names(cursor)
            if name != "django_migrations" and not name.startswith("dashboards_rollup_")
        )
        rows = {}
        for table in tables:
            if like is not None and table not in like:
                continue
            columns = like[table] if like is not None else ["*"]
            names = ", ".join(
                column if column == "*" else connection.ops.quote_name(column)
                for column in columns
            )
            cursor.execute(f"SELECT {names} FROM {connection.ops.quote_name(table)} ORDER BY 1")
            rows[table] = [tuple(map(str, row)) for row in cursor.fetchall()]
    return rows


def _columns() -> dict[str, list[str]]:
    """Each table's columns, in their order."""
    with connection.cursor() as cursor:
        return {
            table: [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            for table in connection.introspection.table_names(cursor)
        }


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)


def _content_types(rows) -> dict[str, str]:
    """model name -> app label, for the moved models (django_content_type: id, app, model)."""
    return {model: app for _, app, model in rows["django_content_type"] if model in MOVED}


# serialized_rollback: the flush after a transactional test would also drop the groups and
# permissions that data migrations created, which the tests after it rely on.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_moving_the_timeline_and_themes_keeps_every_row_both_ways():
    # The fixture names the role groups, which a transactional test before this one on the same
    # worker may have flushed (the data migrations wrote them once).
    for name in (FACILITATORS, RESPONDERS):
        Group.objects.get_or_create(name=name)
    call_command("loaddata", str(FIXTURE), verbosity=0)
    # History rows too: the historical timeline table moved with its model.
    call_command("populate_history", "incidents.TimelineEntry", verbosity=0)
    before = _every_row()
    assert len(before["reviews_timelineentry"]) > 100
    assert len(before["reviews_theme_incidents"]) > 100
    assert len(before["reviews_historicaltimelineentry"]) == len(before["reviews_timelineentry"])
    assert _content_types(before) == dict.fromkeys(MOVED, "incidents")

    executor = _migrate(BEFORE_THE_MOVE)
    old_apps = executor.loader.project_state(BEFORE_THE_MOVE).apps
    assert old_apps.get_model("reviews", "TimelineEntry").objects.count() == len(
        before["reviews_timelineentry"]
    )
    assert old_apps.get_model("reviews", "Theme").objects.count() == len(before["reviews_theme"])
    back = _every_row()
    assert _content_types(back) == dict.fromkeys(MOVED, "reviews")
    old_schema = _columns()
    # What the schema before the move holds of the rows (later columns are appended).
    held = {
        table: [row[: len(old_schema[table])] for row in rows]
        for table, rows in before.items()
        if table in old_schema
    }
    assert {t: r for t, r in back.items() if t != "django_content_type"} == {
        t: r for t, r in held.items() if t != "django_content_type"
    }

    executor = _migrate(executor.loader.graph.leaf_nodes())
    assert _every_row(like=old_schema) == held
