"""The benchmark data generator, shared by bench_dashboard and bench_api: it wipes its own
data and bulk-generates a fresh organisation (PostgreSQL: COPY through psycopg; SQLite:
executemany, one transaction), then settles it (`settle`: VACUUM ANALYZE).

It refuses to touch a database holding anything but its own data (teams and systems named
"bench-...", the user "bench-admin"), so it cannot wipe real incidents by accident.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, transaction

from dashboards.benchmarks.rows import DAYS, M2M, PREFIX, batch_rows
from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
    Theme,
    TimelineEntry,
)
from reviews.models import ActionItem, Review, SurveyResponse

ADMIN = "bench-admin"
BATCH = 20_000
TEAMS = 8
SYSTEMS = 40
THEMES = 12
SURVEY_USERS = 10

# Children first: the order to empty tables in.
BENCH_MODELS = [
    SurveyResponse,
    ActionItem,
    *M2M.values(),
    TimelineEntry,
    Review,
    Surprise,
    Difficulty,
    OwnershipGap,
    IncidentSystem,
    Incident,
    Deployment,
    NearMiss,
]


class _Writer:
    """Bulk insert rows of explicit columns: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        ops = connection.ops
        self.when = (lambda v: v) if self.postgres else ops.adapt_datetimefield_value
        self.day = (lambda v: v) if self.postgres else ops.adapt_datefield_value

    def write(self, model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        table = model._meta.db_table
        count = 0
        if self.postgres:
            raw = connection.connection.cursor()
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        rows = list(rows)
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
            )
        return len(rows)


def refuse_foreign_data() -> None:
    """Raise CommandError when the database holds anything the benchmark did not generate."""
    User = get_user_model()
    foreign = {
        "teams": Team.objects.exclude(slug__startswith=PREFIX).exists(),
        "systems": System.objects.exclude(slug__startswith=PREFIX).exists(),
        "users": User.objects.exclude(username__startswith=PREFIX).exists(),
        "incidents": Incident.objects.exclude(title__startswith=PREFIX).exists(),
    }
    found = [name for name, exists in foreign.items() if exists]
    if found:
        raise CommandError(
            f"This database holds non-benchmark data ({', '.join(found)}). Point "
            "DATABASE_URL at an empty, dedicated database, e.g. "
            "postgres://postgres@127.0.0.1:5432/bench_dash."
        )


def generate(size: int, seed: int) -> int:
    """Replace the benchmark data with `size` incidents (and as many near misses) drawn from
    `seed`; the number of rows written. Call refuse_foreign_data() first."""
    rng = random.Random(seed)
    changes = random.Random(f"{seed}-deployments")
    writer = _Writer()
    when, day = writer.when, writer.day
    total = 0
    with transaction.atomic():
        _wipe()
        teams, systems, themes, people = _catalog()
        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        first = now - timedelta(days=DAYS)
        # Busier systems: a skewed choice, so "high" systems exist.
        weights = [1 / (1 + i) ** 0.7 for i in range(SYSTEMS)]
        system_ids = [s.pk for s in systems]
        team_ids = [t.pk for t in teams]
        theme_ids = [t.pk for t in themes]
        ids = {"surprise": 0, "difficulty": 0, "gap": 0, "review": 0, "timeline": 0}
        ids |= {"action": 0, "survey": 0, "incident_system": 0, "deployment": 0}
        for batch_start in range(0, size, BATCH):
            batch = range(batch_start + 1, min(size, batch_start + BATCH) + 1)
            rows = batch_rows(
                rng, batch, ids, first, system_ids, weights, team_ids, theme_ids, people, changes
            )
            for model, columns, values in rows:
                columns, defaults = _complete(model, columns, now)
                converted = (
                    tuple(
                        when(v) if isinstance(v, datetime) else day(v) if _is_date(v) else v
                        for v in (*row, *defaults)
                    )
                    for row in values
                )
                total += writer.write(model, columns, converted)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), BENCH_MODELS):
                cursor.execute(sql)
    settle()
    return total


def settle() -> None:
    """Leave the tables as a running database keeps them: statistics gathered, and on
    PostgreSQL the visibility map set by VACUUM, which autovacuum does in production (and
    which index-only scans need). VACUUM cannot run in a transaction (a test's): there,
    ANALYZE only."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def _wipe() -> None:
    if connection.vendor == "postgresql":
        tables = ", ".join(model._meta.db_table for model in BENCH_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return
    with connection.cursor() as cursor:
        for model in BENCH_MODELS:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def _catalog():
    """The teams, systems, themes and users, kept from one size to the next."""
    teams = [
        Team.objects.get_or_create(slug=f"{PREFIX}team-{i}", defaults={"name": f"Bench {i}"})[0]
        for i in range(TEAMS)
    ]
    systems = []
    for i in range(SYSTEMS):
        owner = None if i % 7 == 3 else teams[i % TEAMS]  # about one in seven unowned
        system, _ = System.objects.get_or_create(
            slug=f"{PREFIX}system-{i}",
            defaults={"name": f"bench-system-{i}", "owner_team": owner},
        )
        systems.append(system)
    themes = [
        Theme.objects.get_or_create(slug=f"{PREFIX}theme-{i}", defaults={"name": f"Bench {i}"})[0]
        for i in range(THEMES)
    ]
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=ADMIN, defaults={"is_superuser": True, "is_staff": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    people = [
        User.objects.get_or_create(username=f"{PREFIX}person-{i}")[0] for i in range(SURVEY_USERS)
    ]
    return teams, systems, themes, people


def _is_date(value) -> bool:
    return value is not None and type(value).__name__ == "date"


def _complete(model, columns: Sequence[str], now: datetime) -> tuple[list[str], tuple]:
    """The NOT NULL columns the generator leaves out, with their model defaults ('' for text,
    `now` for timestamps), so each row is only what the benchmark cares about."""
    extra, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.null:
            continue
        default = field.get_default()
        if default is None or default == "":
            kind = field.get_internal_type()
            default = {"DateTimeField": now, "BooleanField": False}.get(kind, default)
        extra.append(field.column)
        values.append(default)
    return [*columns, *extra], tuple(values)
