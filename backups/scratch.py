"""A scratch database to restore into, and `manage.py` run against it in a process of its own.

A verification restores a snapshot into a database of its own, never the one it was taken
of: on SQLite a file in a temporary folder; on PostgreSQL a database on the same server,
created for the purpose and dropped after (BACKUP_VERIFY_DATABASE names it; by default the
database's own name with `_verify`). The restore and the figures then run as `manage.py`
commands with DATABASE_URL pointing there, exactly as an operator's would, so nothing in the
calling process (its connections, its caches, the ORM's default database) is redirected.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connections

# Written on the scratch database when it is created: a database of that name without it
# was not made by a verification, and is never dropped.
MARK = "incident-review-tracker: backup verification scratch database, safe to drop"


class ScratchError(Exception):
    """The scratch database could not be made; the message says why and what to change."""


@contextmanager
def scratch_database(using: str = "default") -> Iterator[str]:
    """A fresh, empty database of the same engine as `using`: its DATABASE_URL."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory(prefix="irt-verify-") as folder:
            yield f"sqlite:///{Path(folder) / 'verify.sqlite3'}"
        return
    if connection.vendor != "postgresql":
        raise ScratchError(f"no scratch database for {connection.vendor}.")
    name = settings.BACKUP_VERIFY_DATABASE or f"{connection.settings_dict['NAME']}_verify"
    _create(connection, name)
    try:
        yield _url(connection.settings_dict, name)
    finally:
        _drop(connection, name)


def run_manage(*args: str, database_url: str, timeout: float | None = None):
    """`manage.py ARGS` in a process of its own, on `database_url`; its CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _create(connection, name: str) -> None:
    quoted = connection.ops.quote_name(name)
    # Django's own way to reach the server rather than one database (the test runner's):
    # CREATE DATABASE cannot run inside the connection's transactions.
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        found = cursor.fetchone()
        if found is not None:
            if found[0] != MARK:
                raise ScratchError(
                    f"database {name!r} exists and was not made by a backup verification; "
                    "set BACKUP_VERIFY_DATABASE to a name that is free."
                )
            # Left by a verification that was killed before it could drop it.
            cursor.execute(f"DROP DATABASE {quoted} WITH (FORCE)")
        try:
            cursor.execute(f"CREATE DATABASE {quoted}")
        except Exception as error:
            raise ScratchError(
                f"could not create the scratch database {name!r} ({error}); the database "
                "user needs CREATEDB, or set BACKUP_VERIFY_DATABASE."
            ) from None
        cursor.execute(f"COMMENT ON DATABASE {quoted} IS %s", [MARK])


def _drop(connection, name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _url(settings_dict: dict, name: str) -> str:
    """A DATABASE_URL for database `name` with the credentials and options of settings_dict."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "", safe="")  # a socket folder is a path
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    }
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}{query}"
