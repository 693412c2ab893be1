"""Benchmark the API: list-page query counts, and the streaming CSV export against COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api \\
        .venv/bin/python manage.py bench_api --sizes 100000,1000000

For each size it generates the data with the dashboards' generator (dashboards.benchmarks,
as bench_dashboard does: same organisation, same refusal to touch a database holding anything
but benchmark data), then:

- counts the queries of `GET /api/v1/incidents/?page_size=50` (a page of 50 incidents with
  nested systems, teams and responders) on the first and the last page: they must be equal;
- runs the export `GET /api/v1/incidents/export/` through Django's test client in a fresh
  subprocess, reading the streamed body to the end: rows per second, and the subprocess's
  peak resident memory (VmHWM), also before the export started;
- runs PostgreSQL's own `COPY (<the export's SQL>) TO STDOUT WITH CSV` over the same query in
  another fresh subprocess, and reports the ratio.

Not a test: figures depend on the machine. Targets: peak memory independent of the number of
rows (< 150 MB at 1M), export throughput at least a quarter of COPY's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from argparse import SUPPRESS as SUPPRESS_HELP

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.exports import incident_export_queryset
from dashboards.benchmarks import ADMIN, generate, refuse_foreign_data
from incidents.models import Incident


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measured(*, lines: int, size: int, seconds: float, rss_before_mb: float) -> dict:
    """One CSV download's figures; the header line is not a row."""
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": seconds,
        "rss_before_mb": rss_before_mb,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _export_in_this_process() -> dict:
    settings.DEBUG = False  # no query log: it would grow with the rows
    client = Client()
    client.force_login(get_user_model().objects.get(username=ADMIN))
    client.get("/api/v1/teams/")  # warm up: imports, URL resolver, session
    before = _peak_rss_mb()
    started = time.perf_counter()
    response = client.get("/api/v1/incidents/export/")
    rows = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    assert response.streaming
    return _measured(lines=rows, size=size, seconds=elapsed, rss_before_mb=before)


def _copy_in_this_process() -> dict:
    queryset = incident_export_queryset(Incident.objects.all())
    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    statement = psycopg.ClientCursor(raw).mogrify(sql, params)
    before = _peak_rss_mb()
    started = time.perf_counter()
    rows = size = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY ({statement}) TO STDOUT WITH CSV HEADER") as copy,
    ):
        for chunk in copy:
            size += len(chunk)
            rows += bytes(chunk).count(b"\n")
    elapsed = time.perf_counter() - started
    return _measured(lines=rows, size=size, seconds=elapsed, rss_before_mb=before)


class Command(BaseCommand):
    help = "Benchmark the API list page and the CSV export (against PostgreSQL COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="100000", help="comma-separated incident counts")
        parser.add_argument("--seed", type=int, default=20261127)
        parser.add_argument(
            "--keep", action="store_true", help="reuse the data when the size already matches"
        )
        # Internal: run one measurement in this (fresh) process and print it as JSON.
        parser.add_argument("--child", choices=["export", "copy"], help=SUPPRESS_HELP)

    def handle(self, *args, sizes, seed, keep, child, **options):
        if child == "export":
            self.stdout.write(json.dumps(_export_in_this_process()))
            return
        if child == "copy":
            self.stdout.write(json.dumps(_copy_in_this_process()))
            return
        if connection.vendor != "postgresql":
            raise CommandError("bench_api compares with PostgreSQL's COPY: use a PostgreSQL URL.")
        try:
            sizes = [int(size) for size in sizes.split(",") if size]
        except ValueError as error:
            raise CommandError("--sizes takes comma-separated integers") from error

        call_command("migrate", verbosity=0)
        refuse_foreign_data()
        self.stdout.write(f"# bench_api on PostgreSQL ({connection.settings_dict['NAME']})")
        for size in sizes:
            if keep and Incident.objects.count() == size:
                self.stdout.write(f"\n## {size:,} incidents (reusing existing data)")
            else:
                started = time.perf_counter()
                generated = generate(size, seed)
                self.stdout.write(
                    f"\n## {size:,} incidents: generated {generated:,} rows in "
                    f"{time.perf_counter() - started:.0f} s"
                )
            self._list_queries(size)
            self._export_against_copy()

    def _list_queries(self, size: int) -> None:
        client = Client()
        client.force_login(get_user_model().objects.get(username=ADMIN))
        client.get("/api/v1/incidents/?page_size=50")  # warm up
        last_page = max(1, (size + 49) // 50)
        counts = []
        for page in (1, last_page):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(f"/api/v1/incidents/?page_size=50&page={page}")
            assert response.status_code == 200, response.content[:200]
            counts.append(len(captured))
        verdict = "constant" if counts[0] == counts[1] else "NOT constant"
        self.stdout.write(
            f"- incident list, page of 50 with nested systems: {counts[0]} queries on page 1, "
            f"{counts[1]} on page {last_page:,} ({verdict})"
        )

    def _child(self, kind: str) -> dict:
        result = subprocess.run(
            [sys.executable, "manage.py", "bench_api", "--child", kind],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _export_against_copy(self) -> None:
        export = self._child("export")
        copy = self._child("copy")
        if export["rows"] != copy["rows"]:
            raise CommandError(f"row counts differ: export {export['rows']}, COPY {copy['rows']}")
        export_rate = export["rows"] / export["seconds"]
        copy_rate = copy["rows"] / copy["seconds"]
        self.stdout.write(
            f"- CSV export (streamed through Django): {export['rows']:,} rows, "
            f"{export['bytes'] / 1e6:.0f} MB in {export['seconds']:.1f} s = {export_rate:,.0f} "
            f"rows/s; peak RSS {export['peak_rss_mb']:.0f} MB "
            f"(before the export: {export['rss_before_mb']:.0f} MB)"
        )
        self.stdout.write(
            f"- PostgreSQL COPY (same SQL) TO STDOUT WITH CSV: {copy['rows']:,} rows, "
            f"{copy['bytes'] / 1e6:.0f} MB in {copy['seconds']:.1f} s = {copy_rate:,.0f} rows/s; "
            f"peak RSS {copy['peak_rss_mb']:.0f} MB"
        )
        self.stdout.write(
            f"- export / COPY throughput: {export_rate / copy_rate:.2f} (target >= 0.25); "
            f"peak RSS target < 150 MB: {'met' if export['peak_rss_mb'] < 150 else 'MISSED'}"
        )
