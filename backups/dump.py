"""A consistent snapshot of the whole database, table by table, at the row level.

Row level (each table's name, columns and rows as the database driver returns them) rather
than Django's dumpdata, which writes objects of today's models: the restore rebuilds exactly
the schema the rows were read from (it migrates an empty database to the snapshot's
migrations), loads the rows as they were, and then migrates forward with the code it runs.
A snapshot from an older release thus restores through the same migrations that would have
upgraded the database it came from.

Consistent: every table is read in one transaction. On PostgreSQL it is REPEATABLE READ and
READ ONLY, so every table is read as of one moment while the app keeps writing; on SQLite a
transaction holds its read snapshot (or, without WAL, keeps writers waiting) until it ends.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from backups.snapshot import SnapshotWriter

MIGRATIONS_TABLE = MigrationRecorder.Migration._meta.db_table
# Tables left out of every snapshot, and why (the manifest repeats the reason). Restored
# databases have them empty.
SKIPPED_TABLES = {
    "axes_": "login lockout counters (django-axes): short-lived by design, and restoring "
    "them would lock people out again",
    "dashboards_rollup_": "monthly rollups: counts derived from the other tables; a restore "
    "rebuilds them (manage.py rollups --rebuild)",
    "reviews_waiting_incident": "the review queue's stored cues: derived from the other "
    "tables; a restore rebuilds them with the rollups",
    "django_session": "sessions: their keys are bearer secrets stored in clear, and they "
    "expire anyway; after a restore people log in again",
}
_FETCH = 2000


@dataclass(frozen=True)
class Snapshot:
    path: Path
    manifest: dict[str, Any]
    size: int
    sha256: str

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())


def skip_reason(table: str) -> str | None:
    for prefix, reason in SKIPPED_TABLES.items():
        if table.startswith(prefix):
            return reason
    return None


def take_snapshot(
    path: Path,
    *,
    using: str = "default",
    figures: Callable[[], dict[str, Any]] | None = None,
) -> Snapshot:
    """Write a snapshot of database `using` to `path`, which must not exist yet.

    `figures`, if given, is called inside the snapshot's transaction and its answer stored
    in the manifest under "figures": the verification (api/backup_checks.py) compares a
    restored copy against figures of exactly the rows the file holds.

    The file appears under `path` only once complete: it is written beside it first.
    """
    connection = connections[using]
    connection.ensure_connection()
    partial = path.with_name(path.name + ".partial")
    writer = SnapshotWriter(partial)
    complete = False
    try:
        with _snapshot_transaction(connection) as isolation:
            created_at = timezone.now()
            with connection.cursor() as cursor:
                every_table = connection.introspection.table_names(cursor)
                skipped = {name: skip_reason(name) for name in every_table if skip_reason(name)}
                tables = [
                    name for name in every_table if name != MIGRATIONS_TABLE and name not in skipped
                ]
                counts = {name: _count(cursor, connection, name) for name in tables}
                columns = {name: _columns(cursor, connection, name) for name in tables}
                order = {
                    name: connection.introspection.get_primary_key_column(cursor, name)
                    for name in tables
                }
                sequences = _sequences(cursor, connection, tables)
            manifest = writer.manifest(
                {
                    "created_at": created_at.isoformat(),
                    "app": _app(),
                    "database": {
                        "vendor": connection.vendor,
                        "version": ".".join(map(str, connection.get_database_version())),
                        "isolation": isolation,
                    },
                    "migrations": applied_migrations(connection.alias),
                    "tables": counts,
                    "skipped_tables": skipped,
                    "sequences": sequences,
                    "figures": figures() if figures else None,
                }
            )
            for name in tables:
                rows = _rows(connection, name, columns[name], order[name])
                writer.table(name, columns[name], rows, counts[name])
        complete = True
    finally:
        writer.close(complete=complete)
        if not complete:
            partial.unlink(missing_ok=True)
    os.replace(partial, path)
    return Snapshot(path=path, manifest=manifest, size=path.stat().st_size, sha256=sha256(path))


def row_counts(using: str = "default") -> dict[str, int]:
    """Rows per table, for the tables a snapshot holds (not the skipped ones)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return {
            name: _count(cursor, connection, name)
            for name in connection.introspection.table_names(cursor)
            if name != MIGRATIONS_TABLE and skip_reason(name) is None
        }


def applied_migrations(using: str = "default") -> dict[str, list[str]]:
    """app label -> applied migration names, in the order they were applied: the schema
    the rows were read from."""
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return {}
    applied: dict[str, list[str]] = {}
    for app, name in recorder.migration_qs.order_by("id").values_list("app", "name"):
        applied.setdefault(app, []).append(name)
    return applied


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _snapshot_transaction(connection) -> Iterator[str]:
    if connection.in_atomic_block:
        # Called inside a transaction (a test's): it is already one snapshot of its own
        # writes, and PostgreSQL only takes an isolation level as a transaction's first word.
        yield "the caller's transaction"
        return
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield "repeatable read, read only"
        else:
            yield "one transaction"


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _count(cursor, connection, table: str) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")
    return cursor.fetchone()[0]


def _columns(cursor, connection, table: str) -> list[str]:
    return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def _rows(connection, table: str, columns: list[str], order: str | None) -> Iterator[tuple]:
    quoted = ", ".join(_quote(connection, column) for column in columns)
    sql = f"SELECT {quoted} FROM {_quote(connection, table)}"
    if order:  # the same data gives the same file, which makes two snapshots comparable
        sql += f" ORDER BY {_quote(connection, order)}"
    # A server-side cursor on PostgreSQL: a big table streams instead of filling memory.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(_FETCH):
            yield from batch


def _sequences(cursor, connection, tables: list[str]) -> dict[str, dict[str, Any]]:
    """The highest id each table's counter has handed out, which may be above the highest
    id left (rows deleted since): restored counters continue from there, so an id (and an
    incident reference drawn from it) is never handed out twice."""
    found = {}
    if connection.vendor == "postgresql":
        for table in tables:
            for sequence in connection.introspection.get_sequences(cursor, table):
                cursor.execute(
                    f"SELECT last_value, is_called FROM {_quote(connection, sequence['name'])}"
                )
                last_value, is_called = cursor.fetchone()
                found[table] = {
                    "column": sequence["column"],
                    "value": last_value if is_called else last_value - 1,
                }
    elif connection.vendor == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT name, seq FROM sqlite_sequence")
            for table, value in cursor.fetchall():
                if table in tables:
                    column = connection.introspection.get_primary_key_column(cursor, table)
                    found[table] = {"column": column, "value": value}
    return found


def _app() -> dict[str, str | None]:
    """The release that wrote the snapshot, as far as it is known."""
    version = None
    with suppress(OSError, tomllib.TOMLDecodeError, KeyError):
        pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
        version = pyproject["project"]["version"]
    commit = settings.APP_COMMIT or None
    if commit is None:
        with suppress(OSError, subprocess.SubprocessError):
            # A checkout knows its commit; an image gets APP_COMMIT at build time instead.
            result = subprocess.run(
                ["git", "rev-parse", "HEAD"],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            )
            commit = result.stdout.strip() or None
    return {"name": "incident-review-tracker", "version": version, "commit": commit}
