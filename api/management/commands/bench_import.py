"""Benchmark the incident import (a CSV file to `POST /api/v1/incidents/import/`) against
PostgreSQL's COPY of the same rows, measured in the same run.

    createdb -h 127.0.0.1 -U postgres bench_imports
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports \\
        .venv/bin/python manage.py bench_import --rows 10000 --repeat 5

It replaces the benchmark data with the dashboards' catalog (dashboards.benchmarks: 8 teams,
40 systems; the same refusal to touch a database holding anything else), draws `--rows`
import rows from `--seed` (1 to 3 systems each, one in twenty naming a system the catalog
lacks, 1 or 2 teams, 1 or 2 surprises, a difficulty for most, an ownership gap for some), then
`--repeat` times, each on empty incident tables:

- COPY: the same incidents, system links, team links and signals written with PostgreSQL's
  COPY, ids drawn from the sequences first (the floor: no parsing, no validation, no ORM);
- import: the CSV file posted through Django's test client as the superuser (parse, validate,
  resolve, write; DEBUG off);
- dry run: the same request with `?dry_run=true`.

It prints the medians, the ratio import / COPY, the queries of one import (they must not grow
with the rows), whether the dry run used up sequence values (it must not) and whether the
import's references are consecutive. Not a test: figures depend on the machine. Target:
10,000 rows imported in under 10 s.
"""

from __future__ import annotations

import csv
import io
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client

from dashboards.benchmarks import ADMIN, PREFIX, count_queries, generate, refuse_foreign_data
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    OwnershipGap,
    Surprise,
    System,
    Team,
)

URL = "/api/v1/incidents/import/"
COLUMNS = [
    "title",
    "summary",
    "severity",
    "status",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "customer_impact",
    "external_id",
    "teams",
    "systems",
    "surprises",
    "difficulties",
    "ownership_gaps",
]
WORDS = [
    "cache",
    "queue",
    "deploy",
    "timeout",
    "retry",
    "lock",
    "disk",
    "dns",
    "certificate",
    "replica",
    "shard",
    "token",
]
NEW_SYSTEMS = 50  # names the catalog lacks: the import creates them


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def draw_rows(count: int, seed: int, systems: list[str], teams: list[str]) -> list[dict]:
    """`count` import rows as the CSV holds them (lists and JSON still unencoded)."""
    rng = random.Random(seed)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for number in range(count):
        started = first + timedelta(minutes=37 * number)
        detected = started + timedelta(minutes=rng.randint(1, 60))
        mitigated = detected + timedelta(minutes=rng.randint(5, 120))
        named = rng.sample(systems, rng.randint(1, 3))
        if rng.random() < 0.05:
            named[-1] = f"{PREFIX}new-{rng.randrange(NEW_SYSTEMS)}"
        rows.append(
            {
                "title": f"{PREFIX}imported {number}: {_text(rng, 5)}",
                "summary": _text(rng, 30),
                "severity": rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"]),
                "status": "resolved",
                "started_at": started,
                "detected_at": detected,
                "mitigated_at": mitigated,
                "resolved_at": mitigated + timedelta(minutes=rng.randint(5, 600)),
                "customer_impact": _text(rng, 8),
                "external_id": f"bench-{seed}-{number}",
                "teams": rng.sample(teams, rng.randint(1, 2)),
                "systems": [
                    (name, "origin" if i == 0 else "impacted") for i, name in enumerate(named)
                ],
                "surprises": [
                    {"expected": _text(rng, 6), "observed": _text(rng, 6), "system": named[0]}
                    for _ in range(rng.randint(1, 2))
                ],
                "difficulties": [
                    {"category": "tooling", "description": _text(rng, 10)}
                    for _ in range(rng.random() < 0.8)
                ],
                "ownership_gaps": [
                    {"kind": "no_owner", "system": named[-1]} for _ in range(rng.random() < 0.3)
                ],
            }
        )
    return rows


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        cells = dict(row)
        cells["teams"] = "; ".join(row["teams"])
        cells["systems"] = "; ".join(f"{name}:{role}" for name, role in row["systems"])
        for name in ("surprises", "difficulties", "ownership_gaps"):
            cells[name] = json.dumps(row[name])
        for name in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
            cells[name] = row[name].isoformat()
        writer.writerow([cells[column] for column in COLUMNS])
    return out.getvalue().encode()


# --- the baseline: COPY ----------------------------------------------------------------------


def _ids(model, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model, columns: list[str], rows: list[tuple]) -> None:
    cursor = connection.connection.cursor()
    with cursor.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_rows(rows: list[dict]) -> None:
    """The rows written with COPY, as plain tuples: what the import writes, without history."""
    now = datetime.now(UTC)
    systems = dict(System.objects.values_list("name", "pk"))
    teams = dict(Team.objects.values_list("slug", "pk"))
    new = sorted({name for row in rows for name, _ in row["systems"] if name not in systems})
    with transaction.atomic():
        new_ids = _ids(System, len(new))
        _copy(
            System,
            ["id", "name", "slug", "description", "tier"],
            [(pk, name, name, "", 3) for pk, name in zip(new_ids, new, strict=True)],
        )
        systems.update(zip(new, new_ids, strict=True))
        ids = _ids(Incident, len(rows))
        _copy(
            Incident,
            [
                "id",
                "reference",
                *COLUMNS[:10],
                "is_private",
                "triggered_by_change",
                "source",
                "created_at",
                "updated_at",
            ],
            [
                (
                    pk,
                    Incident.reference_for(pk),
                    *(row[c] for c in COLUMNS[:10]),
                    False,
                    False,
                    "import",
                    now,
                    now,
                )
                for pk, row in zip(ids, rows, strict=True)
            ],
        )
        _copy(
            IncidentSystem,
            ["incident_id", "system_id", "role"],
            [
                (pk, systems[name], role)
                for pk, row in zip(ids, rows, strict=True)
                for name, role in row["systems"]
            ],
        )
        _copy(
            Incident.teams.through,
            ["incident_id", "team_id"],
            [(pk, teams[slug]) for pk, row in zip(ids, rows, strict=True) for slug in row["teams"]],
        )
        for model, key, columns in (
            (Surprise, "surprises", ["expected", "observed", "noticed_by", "notes"]),
            (Difficulty, "difficulties", ["category", "description", "source"]),
            (OwnershipGap, "ownership_gaps", ["kind", "description", "resolved"]),
        ):
            defaults = {
                "noticed_by": "",
                "notes": "",
                "source": "debrief",
                "description": "",
                "resolved": False,
            }
            _copy(
                model,
                ["incident_id", "system_id", *columns, "created_at", "updated_at"],
                [
                    (
                        pk,
                        systems[item["system"]] if item.get("system") else None,
                        *(item.get(c, defaults.get(c)) for c in columns),
                        now,
                        now,
                    )
                    for pk, row in zip(ids, rows, strict=True)
                    for item in row[key]
                ],
            )


def wipe_imported() -> None:
    """Empty the incident tables (and the history of their signals) for the next run."""
    history = [model.history.model._meta.db_table for model in (Surprise, Difficulty, OwnershipGap)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Incident._meta.db_table}, {', '.join(history)} CASCADE")
    System.objects.filter(slug__startswith=f"{PREFIX}new-").delete()


def _sequence_value() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM incidents_incident_id_seq")
        return cursor.fetchone()[0]


def _median_s(times: list[float]) -> float:
    return statistics.median(times)


class Command(BaseCommand):
    help = "Benchmark the incident import (CSV) against PostgreSQL COPY of the same rows."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--seed", type=int, default=20261128)

    def handle(self, *args, rows, repeat, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_import compares with PostgreSQL's COPY: use a PostgreSQL URL."
            )
        call_command("migrate", verbosity=0)
        refuse_foreign_data()
        generate(0, seed)  # the catalog (teams, systems, users), no incidents
        settings.DEBUG = False
        systems = list(System.objects.values_list("name", flat=True))
        teams = list(Team.objects.values_list("slug", flat=True))
        drawn = draw_rows(rows, seed, systems, teams)
        body = as_csv(drawn)
        client = Client()
        client.force_login(get_user_model().objects.get(username=ADMIN))
        client.get("/api/v1/teams/")  # warm up: imports, URL resolver, session

        def post(dry_run: bool):
            upload = SimpleUploadedFile("incidents.csv", body, content_type="text/csv")
            response = client.post(f"{URL}?dry_run={str(dry_run).lower()}", {"file": upload})
            if response.status_code != (200 if dry_run else 201):
                raise CommandError(
                    f"import answered {response.status_code}: {response.content[:500]!r}"
                )
            return response.json()

        self.stdout.write(
            f"# bench_import on PostgreSQL ({connection.settings_dict['NAME']}): {rows:,} rows, "
            f"{len(body) / 1e6:.1f} MB of CSV, {repeat} runs"
        )
        times: dict[str, list[float]] = {"copy": [], "import": [], "dry run": []}
        for _ in range(repeat):
            for name, action in (
                ("copy", lambda: copy_rows(drawn)),
                ("import", lambda: post(False)),
                ("dry run", lambda: post(True)),
            ):
                wipe_imported()
                started = time.perf_counter()
                action()
                times[name].append(time.perf_counter() - started)
        wipe_imported()
        self._checks(post, rows)
        copy, imported, dry = (_median_s(times[name]) for name in ("copy", "import", "dry run"))
        self.stdout.write("\n| what | median s | rows/s | runs (s) |\n| --- | ---: | ---: | --- |")
        for name, median in (("COPY (baseline)", copy), ("import", imported), ("dry run", dry)):
            key = {"COPY (baseline)": "copy"}.get(name, name)
            runs = ", ".join(f"{t:.2f}" for t in times[key])
            self.stdout.write(f"| {name} | {median:.2f} | {rows / median:,.0f} | {runs} |")
        self.stdout.write(
            f"\n- import / COPY: {imported / copy:.1f}; target: {rows:,} rows in under 10 s: "
            f"{'met' if imported < 10 else 'MISSED'} ({imported:.1f} s)"
        )

    def _checks(self, post, rows: int) -> None:
        """Queries of one import; a dry run's sequence use; the references' order."""
        before = _sequence_value()
        dry_queries = count_queries(lambda: post(True))
        used = _sequence_value() - before
        result = {}
        queries = count_queries(lambda: result.update(post(False)))
        numbers = [int(reference.removeprefix("INC-")) for reference in result["created"]]
        consecutive = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        wipe_imported()
        self.stdout.write(
            f"- queries: {queries} for the import of {rows:,} rows, {dry_queries} for the dry "
            f"run; sequence values the dry run used: {used}; references of the import "
            f"consecutive: {'yes' if consecutive else 'NO'}"
        )
