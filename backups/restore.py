"""Restore a snapshot into an empty database: its schema, its rows, then today's migrations.

Everything that can be checked without the database is checked first, and a refusal changes
nothing: the whole file is read (a damaged, cut-short or unknown file is refused), the
snapshot must come from the same database engine, and every migration it was taken at must
be one this code has (else a newer release took it: restore with that one). Then, in one
transaction (PostgreSQL; SQLite too, its foreign-key checks switched off around it, as its
schema changes need):

1. a database that holds data is refused, unless `replace` says to replace it;
2. every table is dropped, and the empty database migrated to exactly the snapshot's
   migrations, so each table has the columns the rows were read from;
3. what those migrations wrote (role groups, permissions, content types) is emptied: the
   snapshot holds those rows itself, with the ids the rest of its rows point to;
4. every row is inserted, foreign keys are checked, the id counters set past the snapshot's
   highest ids, and each table's row count is checked against the manifest;
5. the database is migrated forward to this code's migrations, as an upgrade would: the
   data migrations of newer releases run on the restored rows.

Any error rolls the whole restore back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from backups.dump import MIGRATIONS_TABLE, skip_reason
from backups.snapshot import SnapshotError, check_snapshot, table_rows

# A freshly migrated database already has rows here (the migrations write the role groups,
# permissions and content types): a database with rows nowhere else holds no data.
MIGRATION_FILLED_TABLES = {
    MIGRATIONS_TABLE,
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}
_BATCH = 1000

Migration = tuple[str, str]


class RestoreRefused(Exception):
    """The restore was refused before anything changed; the message says why."""


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    tables: int
    rows: int
    migrated_forward: tuple[str, ...]


def tables_with_data(using: str = "default") -> list[str]:
    """The tables that hold rows a fresh `migrate` would not have written."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return [
            table
            for table in connection.introspection.table_names(cursor)
            if table not in MIGRATION_FILLED_TABLES
            and skip_reason(table) is None
            and _has_rows(cursor, connection, table)
        ]


def restore_snapshot(
    path: Path,
    *,
    using: str = "default",
    replace: bool = False,
    report: Callable[[str], None] = lambda message: None,
) -> Restored:
    connection = connections[using]
    manifest = check_snapshot(path)
    vendor = manifest["database"].get("vendor")
    if vendor != connection.vendor:
        raise RestoreRefused(
            f"the snapshot is of a {vendor} database; it restores onto {vendor} only "
            f"(this database is {connection.vendor})."
        )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(applied - set(loader.graph.nodes))
    if unknown:
        shown = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise RestoreRefused(
            f"the snapshot was taken at migrations this code does not have ({shown}"
            f"{', ...' if len(unknown) > 5 else ''}): a newer release took it; restore it "
            "with that release or a later one."
        )
    targets = _leaves(loader, applied)
    _check_tables_exist_at(loader, targets, manifest)
    if not replace:
        _refuse_data(using)
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        raise RestoreRefused("on SQLite a restore cannot run inside another transaction.")

    if connection.vendor == "sqlite":
        # SQLite alters tables by copying them, with foreign-key checks off; they can only be
        # switched off outside a transaction, so before the restore's transaction begins.
        connection.disable_constraint_checking()
    try:
        with transaction.atomic(using=using):
            if not replace:
                _refuse_data(using)  # again: someone may have written since
            report("Dropping every table.")
            _drop_tables(connection)
            report(f"Migrating to the snapshot's schema ({len(applied)} migrations).")
            _migrate(connection, targets)
            if _applied(connection) != applied:
                raise SnapshotError("migrating to the snapshot's migrations applied others.")
            _empty_tables(connection)
            tables, rows = _insert(connection, path, manifest, report)
            connection.check_constraints()
            _set_counters(connection, manifest)
            _check_counts(connection, manifest)
            forward = _migrate_forward(connection)
            report(f"Migrated forward: {len(forward)} migration(s).")
    finally:
        if connection.vendor == "sqlite":
            connection.enable_constraint_checking()
        ContentType.objects.clear_cache()
    return Restored(manifest=manifest, tables=tables, rows=rows, migrated_forward=forward)


def _refuse_data(using: str) -> None:
    held = tables_with_data(using)
    if held:
        shown = ", ".join(held[:5]) + (", ..." if len(held) > 5 else "")
        raise RestoreRefused(
            f"the database is not empty (rows in {shown}); restore into an empty database, "
            "or pass --replace to replace everything in it."
        )


# --- migrations ------------------------------------------------------------------------------


def _leaves(loader: MigrationLoader, applied: set[Migration]) -> list[Migration]:
    """The last applied migration of each app: migrating to these applies exactly `applied`
    (Django applies migrations with their dependencies, so the set is closed under them)."""
    return sorted(
        node
        for node in applied
        if not any(
            child.key in applied and child.key[0] == node[0]
            for child in loader.graph.node_map[node].children
        )
    )


def _check_tables_exist_at(
    loader: MigrationLoader, targets: list[Migration], manifest: dict[str, Any]
) -> None:
    """Every table of the snapshot is one that its migrations create."""
    if not targets:
        created: set[str] = set()
    else:
        state = loader.project_state(nodes=targets, at_end=True)
        created = {
            model._meta.db_table
            for model in state.apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    foreign = sorted(set(manifest["tables"]) - created)
    if foreign:
        raise RestoreRefused(
            f"the snapshot holds tables that its migrations do not create ({', '.join(foreign)}): "
            "it was not taken of this application's database."
        )


def _migrate(connection, targets: list[Migration]) -> list[str]:
    applied: list[str] = []

    def progress(action: str, migration=None, fake=False) -> None:
        if action == "apply_success":
            applied.append(f"{migration.app_label}.{migration.name}")
            # PostgreSQL checks foreign keys at the end of a transaction; this restore is one
            # transaction, and a table with unchecked rows (a data migration's) cannot be
            # altered by the next migration. Checking after each migration clears them.
            connection.check_constraints()

    executor = MigrationExecutor(connection, progress_callback=progress)
    executor.migrate(targets)
    return applied


def _migrate_forward(connection) -> tuple[str, ...]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = _migrate(connection, loader.graph.leaf_nodes())
    # As `manage.py migrate` ends: content types and permissions of models newer than the
    # snapshot.
    emit_post_migrate_signal(0, False, connection.alias)
    return tuple(applied)


def _applied(connection) -> set[Migration]:
    return set(MigrationRecorder(connection).applied_migrations())


# --- tables and rows -------------------------------------------------------------------------


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _has_rows(cursor, connection, table: str) -> bool:
    cursor.execute(f"SELECT 1 FROM {_quote(connection, table)} LIMIT 1")
    return cursor.fetchone() is not None


def _drop_tables(connection) -> None:
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"DROP TABLE {_quote(connection, table)}{cascade}")


def _empty_tables(connection) -> None:
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table != MIGRATIONS_TABLE:
                cursor.execute(f"DELETE FROM {_quote(connection, table)}")


def _adapter(connection) -> Callable[[Any], Any]:
    """Values as Django itself writes them: SQLite keeps dates and times as text."""
    ops = connection.ops

    def adapt(value: Any) -> Any:
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return ops.adapt_datefield_value(value)
        if isinstance(value, time):
            return ops.adapt_timefield_value(value)
        return value

    return adapt


def _insert(connection, path: Path, manifest: dict[str, Any], report) -> tuple[int, int]:
    adapt = _adapter(connection)
    tables = rows = 0
    with connection.cursor() as cursor:
        for table, values in table_rows(path):
            existing = {
                column.name
                for column in connection.introspection.get_table_description(cursor, table.name)
            }
            if existing != set(table.columns):
                raise SnapshotError(
                    f"{table.name}: the snapshot's columns ({', '.join(sorted(table.columns))}) "
                    f"are not the ones its migrations create ({', '.join(sorted(existing))})."
                )
            columns = ", ".join(_quote(connection, column) for column in table.columns)
            placeholders = ", ".join(["%s"] * len(table.columns))
            sql = (
                f"INSERT INTO {_quote(connection, table.name)} ({columns}) VALUES ({placeholders})"
            )
            for batch in _batches(values):
                cursor.executemany(sql, [[adapt(value) for value in row] for row in batch])
            tables += 1
            rows += table.rows
            if table.rows:
                report(f"  {table.name}: {table.rows} rows")
    return tables, rows


def _batches(rows: Iterable[list[Any]]) -> Iterable[list[list[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def _set_counters(connection, manifest: dict[str, Any]) -> None:
    """Each id counter continues after the higher of the snapshot's counter and its highest
    id, so no id is handed out twice."""
    recorded = {table: info["value"] for table, info in manifest["sequences"].items()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in connection.introspection.table_names(cursor):
                for sequence in connection.introspection.get_sequences(cursor, table):
                    column = _quote(connection, sequence["column"])
                    cursor.execute(f"SELECT MAX({column}) FROM {_quote(connection, table)}")
                    value = max(cursor.fetchone()[0] or 0, recorded.get(table) or 0)
                    cursor.execute(
                        "SELECT setval(%s, %s, %s)",
                        [_quote(connection, sequence["name"]), max(value, 1), value > 0],
                    )
        elif connection.vendor == "sqlite":
            for table, value in recorded.items():
                # Inserting ids has already raised the counter to the highest id; a deleted
                # row's id may have been higher.
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [value, table]
                )
                if cursor.rowcount == 0:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value]
                    )


def _check_counts(connection, manifest: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        for table, expected in manifest["tables"].items():
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")
            found = cursor.fetchone()[0]
            if found != expected:
                raise SnapshotError(f"{table}: {found} rows restored, the snapshot has {expected}.")
