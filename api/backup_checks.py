"""Backups, the part that needs the dashboards: the figures a snapshot records, and the
verification that a restore of it reproduces them.

Split from backups/ on purpose: backups/ is the bottom layer (tables, rows, migrations, the
status the dashboard and /readyz read), while the figures come from dashboards/selectors,
above it. So what computes figures (this module, and the `backup`, `verify_backup` and
`dashboard_figures` commands) sits here, at the top, where it may import both.

The figures are the dashboards' and the reports' numbers for a user who sees everything
(private incidents too), over fixed periods: the last full quarter and month before the
snapshot's day (the pages' defaults), and all the time the data covers; the twelve-month
trends; and every system's history. The snapshot records them as it is taken, in its own
transaction, so a verification compares the restored copy with exactly the rows in the
file, whatever the live database did since.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min

from api.reports import as_data
from backups.dump import applied_migrations, row_counts, take_snapshot
from backups.models import BackupRun
from backups.scratch import run_manage, scratch_database
from backups.snapshot import check_snapshot
from dashboards import selectors
from dashboards.periods import DashboardFilters, Period
from incidents.days import utc_midnight, utc_today
from incidents.models import Incident, NearMiss, System

_SHOWN_DIFFERENCES = 20


# --- figures ---------------------------------------------------------------------------------


def dashboard_figures(*, as_of: date) -> dict[str, Any]:
    """Every dashboard figure, as JSON values, counted as of the day `as_of`."""
    # Unsaved, and never saved: a superuser sees every incident, as the backup holds them all.
    user = get_user_model()(username="backup-verification", is_superuser=True)
    filters = DashboardFilters()
    periods = {
        "last_quarter": Period.last_full_quarter(as_of),
        "last_month": Period.last_full_month(as_of),
    }
    everything = _all_time(as_of)
    if everything is not None:
        periods["all_time"] = everything
    figures: dict[str, Any] = {}
    for name, period in periods.items():
        scope = {"user": user, "period": period, "filters": filters}
        figures[name] = {
            "period": as_data(period),
            "summary": as_data(selectors.period_comparison(**scope)),
            "learning_loop": as_data(selectors.learning_loop(**scope, today=as_of)),
            "durations": as_data(selectors.duration_distributions(**scope)),
            "systems": as_data(selectors.system_rows(**scope)),
            "themes": as_data(selectors.theme_rows(**scope)),
        }
    figures["trends"] = as_data(selectors.monthly_trends(user=user, filters=filters, end=as_of))
    figures["system_histories"] = {
        system.slug: _system_history(user, system, as_of)
        for system in System.objects.select_related("owner_team").order_by("slug")
    }
    return figures


def _system_history(user, system: System, as_of: date) -> dict[str, Any]:
    """A system's page: its monthly trend, and the records it lists (by their ids)."""
    history = selectors.system_history(user=user, system=system, end=as_of)
    return {
        "trend": as_data(history.trend),
        "incidents": [incident.reference for incident in history.incidents],
        "near_misses": [near_miss.pk for near_miss in history.near_misses],
        "open_follow_ups": [follow_up.pk for follow_up in history.open_follow_ups],
    }


def _all_time(as_of: date) -> Period | None:
    """From the first incident or near miss to the day after `as_of` (or after the last one,
    if later)."""
    bounds = [
        Incident.objects.aggregate(first=Min("started_at"))["first"],
        NearMiss.objects.aggregate(first=Min("occurred_at"))["first"],
    ]
    known = [moment.date() for moment in bounds if moment is not None]
    if not known:
        return None
    return Period(utc_midnight(min(known)), utc_midnight(as_of + timedelta(days=1)))


def _schema_is_current(using: str = "default") -> bool:
    executor = MigrationExecutor(connections[using])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def snapshot_figures(*, as_of: date, using: str = "default") -> dict[str, Any]:
    """What a snapshot records under "figures" (called inside its transaction)."""
    if not _schema_is_current(using):
        # The selectors are written for this code's schema; a database still waiting for
        # `migrate` (a backup before an upgrade) is saved with its row counts alone.
        return {"as_of": as_of.isoformat(), "values": None, "note": "migrations pending"}
    return {"as_of": as_of.isoformat(), "values": dashboard_figures(as_of=as_of), "note": ""}


# --- taking a backup -------------------------------------------------------------------------


def take_backup(path: Path, *, using: str = "default") -> BackupRun:
    """Write a snapshot of the database to `path` (with its figures) and record it."""
    today = utc_today()
    snapshot = take_snapshot(
        path, using=using, figures=lambda: snapshot_figures(as_of=today, using=using)
    )
    return BackupRun.record(snapshot)


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    detail: str


def verify_snapshot(path: Path, *, using: str = "default") -> Verification:
    """Restore the snapshot into a scratch database and compare it with the manifest: every
    table's rows, every dashboard figure. Raises SnapshotError for a file that cannot be
    read at all (nothing to restore); anything else that goes wrong is a failed
    verification, with what went wrong in its detail."""
    manifest = check_snapshot(path)
    recorded = manifest.get("figures") or {}
    with scratch_database(using) as url:
        restore = run_manage("restore", str(path), database_url=url)
        if restore.returncode != 0:
            return Verification(False, f"The restore failed: {_last_line(restore.stderr)}")
        as_of = recorded.get("as_of") or manifest["created_at"][:10]
        measured = run_manage("dashboard_figures", "--as-of", as_of, database_url=url)
        if measured.returncode != 0:
            return Verification(
                False, f"Computing the restored figures failed: {_last_line(measured.stderr)}"
            )
    restored = json.loads(measured.stdout)
    notes = []
    differences = []
    same_schema = _schema(restored["migrations"]) == _schema(manifest["migrations"])
    if same_schema:
        differences += compare_counts(manifest["tables"], restored["tables"])
    else:
        # Migrations since the snapshot may add or change rows; the restore itself checked
        # every table's count at the snapshot's schema, before migrating forward.
        notes.append("migrated forward from an older schema; row counts checked before that")
    compared = 0
    if recorded.get("values") is None:
        notes.append(f"no figures recorded ({recorded.get('note') or 'none'})")
    elif not same_schema:
        notes.append("figures not compared: the snapshot's schema is older than this code's")
    else:
        figure_differences, compared = compare_figures(recorded["values"], restored["figures"])
        differences += figure_differences
    tables, rows = len(manifest["tables"]), sum(manifest["tables"].values())
    if differences:
        shown = "; ".join(differences[:_SHOWN_DIFFERENCES])
        more = len(differences) - _SHOWN_DIFFERENCES
        detail = f"{len(differences)} difference(s) after restoring: {shown}" + (
            f"; and {more} more" if more > 0 else ""
        )
        commit = (manifest.get("app") or {}).get("commit")
        if commit:
            detail += f" (the snapshot was written by commit {commit})"
        return Verification(False, detail)
    detail = (
        f"Restored into a scratch database: {tables} tables, {rows} rows as in the snapshot"
        f"; {compared} dashboard figures equal"
    )
    if notes:
        detail += " (" + "; ".join(notes) + ")"
    return Verification(True, detail + ".")


def _schema(migrations: dict[str, list[str]]) -> dict[str, set[str]]:
    # Which migrations, not in which order: a database upgraded release by release applied
    # them in another order than a restore that applies them all at once.
    return {app: set(names) for app, names in migrations.items()}


def compare_counts(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    return [
        f"{table}: {expected.get(table, 0)} rows in the snapshot, {found.get(table, 0)} restored"
        for table in sorted(set(expected) | set(found))
        if expected.get(table, 0) != found.get(table, 0)
    ]


def compare_figures(expected: Any, found: Any, where: str = "") -> tuple[list[str], int]:
    """The differences between two figure trees (as `dashboard_figures` returns), and how
    many values were compared. Floats are equal within a relative 1e-9: the same sums in
    another order may differ in the last bits."""
    if isinstance(expected, dict) and isinstance(found, dict):
        differences, compared = [], 0
        for key in sorted(set(expected) | set(found)):
            here = f"{where}.{key}" if where else str(key)
            if key not in expected or key not in found:
                differences.append(
                    f"{here}: only in the {'restored copy' if key in found else 'snapshot'}"
                )
                continue
            more, count = compare_figures(expected[key], found[key], here)
            differences += more
            compared += count
        return differences, compared
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            return [f"{where}: {len(expected)} items in the snapshot, {len(found)} restored"], 1
        differences, compared = [], 0
        for index, (left, right) in enumerate(zip(expected, found, strict=True)):
            more, count = compare_figures(left, right, f"{where}[{index}]")
            differences += more
            compared += count
        return differences, compared
    if _equal(expected, found):
        return [], 1
    return [f"{where}: {expected!r} in the snapshot, {found!r} restored"], 1


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if isinstance(left, int | float) and isinstance(right, int | float):
            return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
        return False
    return type(left) is type(right) and left == right


def database_figures(*, as_of: date, using: str = "default") -> dict[str, Any]:
    """What `manage.py dashboard_figures` prints: the schema, the rows per table and the
    figures of this database."""
    return {
        "migrations": applied_migrations(using),
        "tables": row_counts(using),
        "figures": dashboard_figures(as_of=as_of),
    }


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
