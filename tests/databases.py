"""An empty database of the suite's engine for a test's subprocesses (a server, a restore)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@contextmanager
def fresh_database(folder: Path, label: str) -> Iterator[str]:
    """The DATABASE_URL of an empty database (SQLite: a file in `folder`; PostgreSQL: a new
    database named after the suite's and `label`), dropped afterwards. The random suffix keeps
    parallel workers and runs apart."""
    suffix = uuid.uuid4().hex[:8]
    if not ON_POSTGRES:
        yield f"sqlite:///{folder / f'{label}-{suffix}.sqlite3'}"
        return
    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"{url.path.strip('/')}_{label}_{suffix}"
    admin = psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
