"""Benchmark the dashboard pages against hand-written SQL on generated data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dash \\
        .venv/bin/python manage.py bench_dashboard --sizes 10000,100000

For each size it wipes the benchmark data, bulk-generates a fresh organisation (PostgreSQL:
COPY through psycopg; SQLite: executemany, one transaction), then reports for each dashboard
page the p50/p95 render time through Django's test Client (logged in as a superuser, after a
warm-up), the number of queries, and the p50 of the same aggregates written as raw SQL,
with the ratio page / raw SQL. `--pages` can also name the list pages (LIST_PAGES), timed
the same way on their first page and once filtered, with no raw SQL to compare with. Not a
test: timings depend on the machine.

It refuses to touch a database holding anything but its own data (teams and systems named
"bench-...", the user "bench-admin"), so it cannot wipe real incidents by accident.
The generator, the raw SQL and the timing helpers are in dashboards/benchmarks/.
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from dashboards.benchmarks import (
    ADMIN,
    PREFIX,
    RawSql,
    count_queries,
    generate,
    p95,
    refuse_foreign_data,
    settle,
    timed,
)
from dashboards.models import RollupCell, RollupMonth
from dashboards.periods import Period
from dashboards.rollups.refresh import rebuild
from incidents.derived import any_marked, live_only
from incidents.models import Incident

# The list pages (issue 12: paged and filtered in the database, whatever the history): each
# timed on its first page in its default order, and once filtered. No raw SQL to compare with.
LIST_PAGES = {
    "queue": "reviews:queue",
    "incidents": "incidents:list",
    "near_misses": "incidents:near_miss_list",
    "follow_ups": "reviews:follow_ups",
    "api_incidents": "api:incident-list",
    "api_near_misses": "api:near-miss-list",
    "api_deployments": "api:deployment-list",
}
# Severity where the list has it (a deployment's is that of the incidents it caused). The
# follow-ups have none: the overdue ones; the generated near misses have no potential
# severity: those of the busiest system.
LIST_FILTERS = dict.fromkeys(LIST_PAGES, "?severity=SEV2") | {
    "follow_ups": "?overdue=true",
    "near_misses": f"?system={PREFIX}system-0",
    "api_near_misses": f"?system={PREFIX}system-0",
}


class Command(BaseCommand):
    help = "Generate benchmark data and time the dashboard pages against raw SQL."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, help="one size (number of incidents)")
        parser.add_argument("--sizes", help="comma-separated sizes, e.g. 10000,100000")
        parser.add_argument("--runs", type=int, default=15, help="timed runs per page (>= 15)")
        parser.add_argument("--seed", type=int, default=20261127)
        parser.add_argument(
            "--keep", action="store_true", help="reuse existing benchmark data of the same size"
        )
        parser.add_argument(
            "--pages",
            default="overview,systems,themes,system",
            help="which pages to time (for the slow 1M runs: overview,systems); the lists too: "
            + ",".join(LIST_PAGES),
        )

    def handle(self, *args, incidents, sizes, runs, seed, keep, pages, **options):
        if not incidents and not sizes:
            raise CommandError("Give --incidents N or --sizes N,M,...")
        try:
            sizes = [incidents] if incidents else [int(s) for s in sizes.split(",") if s]
        except ValueError as error:
            raise CommandError("--sizes takes comma-separated integers") from error
        if any(size < 100 for size in sizes):
            raise CommandError("sizes must be at least 100 incidents")
        runs = max(15, runs)
        pages = {page.strip() for page in pages.split(",") if page.strip()}
        call_command("migrate", verbosity=0)
        refuse_foreign_data()
        database = connection.settings_dict["NAME"]
        self.stdout.write(f"# bench_dashboard on {connection.vendor} ({database})\n")
        debug, settings.DEBUG = settings.DEBUG, False  # as in production: no query log
        try:
            for size in sizes:
                self._one_size(size, runs=runs, seed=seed, keep=keep, pages=pages)
        finally:
            settings.DEBUG = debug

    def _one_size(self, size: int, *, runs: int, seed: int, keep: bool, pages: set) -> None:
        existing = Incident.objects.count()
        if keep and existing == size:
            self.stdout.write(f"\n## {size:,} incidents (reusing existing data)\n")
        else:
            started = time.perf_counter()
            rows = generate(size, seed)
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"\n## {size:,} incidents: generated {rows:,} rows in {elapsed:.0f} s\n"
            )
        if keep and existing == size and not any_marked() and RollupMonth.objects.exists():
            self.stdout.write("Monthly rollups: up to date.\n")
        else:
            started = time.perf_counter()
            months = rebuild()
            settle()
            self.stdout.write(
                f"Monthly rollups: {months} months, {RollupCell.objects.count():,} cells, "
                f"rebuilt in {time.perf_counter() - started:.1f} s.\n"
            )
        self._measure(runs, pages)

    def _measure(self, runs: int, wanted: set) -> None:
        client = Client()
        client.force_login(get_user_model().objects.get(username=ADMIN))
        busiest = f"{PREFIX}system-0"  # the generator's weights favour the first system
        period = Period.last_full_quarter()
        raw = RawSql(period)
        pages = [
            ("overview", "/dashboard/", reverse("dashboards:overview"), raw.overview),
            ("systems", "/dashboard/systems/", reverse("dashboards:systems"), raw.systems),
            ("themes", "/dashboard/themes/", reverse("dashboards:themes"), raw.themes),
            (
                "system",
                "/dashboard/systems/<slug>/",
                reverse("dashboards:system_detail", args=[busiest]),
                None,
            ),
        ]
        pages += [
            (name, url, url, None)
            for name, view in LIST_PAGES.items()
            for url in (reverse(view), reverse(view) + LIST_FILTERS[name])
        ]
        pages = [page[1:] for page in pages if page[0] in wanted]
        self.stdout.write(
            f"Period {period.label}; {runs} timed runs per page after 2 warm-up runs.\n\n"
            "Live: the same page counting every record (`live_only()`, the code before the "
            "rollups).\n\n"
            "| page | p50 ms | p95 ms | queries | live p50 ms | page / live | raw SQL p50 ms "
            "| page / raw |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        )
        for label, url, raw_sql in pages:
            for _ in range(2):
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
            queries = count_queries(lambda url=url: client.get(url))
            page_times = timed(lambda url=url: client.get(url), runs)
            with live_only():
                client.get(url)
                live_times = timed(lambda url=url: client.get(url), runs)
            live_p50 = statistics.median(live_times)
            raw_p50 = raw_text = ratio = "n/a"
            if raw_sql is not None:
                raw_sql()
                raw_times = timed(raw_sql, runs)
                raw_p50 = statistics.median(raw_times)
                ratio = f"{statistics.median(page_times) / raw_p50:.2f}"
                raw_text = f"{raw_p50:.0f}"
            self.stdout.write(
                f"| {label} | {statistics.median(page_times):.0f} | {p95(page_times):.0f} | "
                f"{queries} | {live_p50:.0f} | {statistics.median(page_times) / live_p50:.2f} | "
                f"{raw_text} | {ratio} |"
            )
