"""Backup tests: fresh databases of the suite's engine, `manage.py` run against them, and
snapshot files rewritten to look damaged, foreign or newer.

A restore is run the way an operator runs it, as `manage.py restore` in a process of its
own, into a database of its own (a fresh SQLite file, or a fresh PostgreSQL database beside
the test database when the suite runs on PostgreSQL), never into the test database.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from backups.scratch import run_manage
from tests import databases

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def fresh_database(folder: Path):
    return databases.fresh_database(folder, "bk")


@pytest.fixture
def fresh_db(tmp_path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def manage(*args: str, database_url: str, expect_ok: bool = True):
    """`manage.py ARGS` on `database_url`; fails the test if its exit status is not the
    expected one."""
    result = run_manage(*args, database_url=database_url, timeout=300)
    if expect_ok:
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
    else:
        assert result.returncode != 0, f"manage.py {' '.join(args)} succeeded:\n{result.stdout}"
    return result


def run_python(code: str, *, database_url: str):
    """The JSON that `code` prints (its last line), run by `manage.py shell` on a database."""
    result = manage("shell", "--no-imports", "-c", code, database_url=database_url)
    return json.loads(result.stdout.strip().splitlines()[-1])


def figures_of(database_url: str, as_of: str) -> dict:
    """`manage.py dashboard_figures` of a database: its migrations, rows per table, figures."""
    return json.loads(
        manage("dashboard_figures", "--as-of", as_of, database_url=database_url).stdout
    )


def read_lines(path: Path) -> list:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def rewrite_snapshot(source: Path, target: Path, edit: Callable[[list], list]) -> Path:
    """A copy of a snapshot with its lines (parsed JSON) changed by `edit`."""
    lines = edit(read_lines(source))
    with gzip.open(target, "wt", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(line) + "\n")
    return target
