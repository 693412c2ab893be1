"""Benchmark the dashboard pages against hand-written SQL on generated data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dash \\
        .venv/bin/python manage.py bench_dashboard --sizes 10000,100000

For each size it wipes the benchmark data, bulk-generates a fresh organisation (PostgreSQL:
COPY through psycopg; SQLite: executemany, one transaction), then reports for each dashboard
page the p50/p95 render time through Django's test Client (logged in as a superuser, after a
warm-up), the number of queries, and the p50 of the same aggregates written as raw SQL,
with the ratio page / raw SQL. Not a test: timings depend on the machine.

It refuses to touch a database holding anything but its own data (teams and systems named
"bench-...", the user "bench-admin"), so it cannot wipe real incidents by accident.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from dashboards import stats
from dashboards.periods import Period
from incidents.models import (
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

PREFIX = "bench-"
ADMIN = "bench-admin"
DAYS = 3 * 365  # incidents spread over three years, ending today
BATCH = 20_000
TEAMS = 8
SYSTEMS = 40
THEMES = 12
SURVEY_USERS = 10

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
CATEGORIES = [choice for choice, _ in Difficulty.Category.choices]
GAP_KINDS = [choice for choice, _ in OwnershipGap.Kind.choices]
ROLES = ["origin", "impacted", "contributing"]

M2M = {
    "incident_teams": Incident.teams.through,
    "near_miss_systems": NearMiss.systems.through,
    "theme_incidents": Theme.incidents.through,
    "theme_surprises": Theme.surprises.through,
    "theme_difficulties": Theme.difficulties.through,
}
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
            help="which pages to time (for the slow 1M runs: overview,systems)",
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
        self._refuse_foreign_data()
        database = connection.settings_dict["NAME"]
        self.stdout.write(f"# bench_dashboard on {connection.vendor} ({database})\n")
        debug, settings.DEBUG = settings.DEBUG, False  # as in production: no query log
        try:
            for size in sizes:
                self._one_size(size, runs=runs, seed=seed, keep=keep, pages=pages)
        finally:
            settings.DEBUG = debug

    # --- safety -------------------------------------------------------------------------------

    def _refuse_foreign_data(self) -> None:
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

    # --- data ---------------------------------------------------------------------------------

    def _one_size(self, size: int, *, runs: int, seed: int, keep: bool, pages: set) -> None:
        existing = Incident.objects.count()
        if keep and existing == size:
            self.stdout.write(f"\n## {size:,} incidents (reusing existing data)\n")
        else:
            started = time.perf_counter()
            rows = self._generate(size, seed)
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"\n## {size:,} incidents: generated {rows:,} rows in {elapsed:.0f} s\n"
            )
        self._measure(runs, pages)

    def _wipe(self) -> None:
        if connection.vendor == "postgresql":
            tables = ", ".join(model._meta.db_table for model in BENCH_MODELS)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        with connection.cursor() as cursor:
            for model in BENCH_MODELS:
                cursor.execute(f"DELETE FROM {model._meta.db_table}")

    def _catalog(self, rng: random.Random):
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
            Theme.objects.get_or_create(slug=f"{PREFIX}theme-{i}", defaults={"name": f"Bench {i}"})[
                0
            ]
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
            User.objects.get_or_create(username=f"{PREFIX}person-{i}")[0]
            for i in range(SURVEY_USERS)
        ]
        return teams, systems, themes, people

    def _generate(self, size: int, seed: int) -> int:
        rng = random.Random(seed)
        writer = _Writer()
        when, day = writer.when, writer.day
        total = 0
        with transaction.atomic():
            self._wipe()
            teams, systems, themes, people = self._catalog(rng)
            now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            first = now - timedelta(days=DAYS)
            # Busier systems: a skewed choice, so "high" systems exist.
            weights = [1 / (1 + i) ** 0.7 for i in range(SYSTEMS)]
            system_ids = [s.pk for s in systems]
            team_ids = [t.pk for t in teams]
            theme_ids = [t.pk for t in themes]
            ids = {"surprise": 0, "difficulty": 0, "gap": 0, "review": 0, "timeline": 0}
            ids |= {"action": 0, "survey": 0, "incident_system": 0}
            for batch_start in range(0, size, BATCH):
                batch = range(batch_start + 1, min(size, batch_start + BATCH) + 1)
                rows = self._batch(
                    rng, batch, ids, first, system_ids, weights, team_ids, theme_ids, people
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
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return total

    def _batch(self, rng, batch, ids, first, system_ids, weights, team_ids, theme_ids, people):
        incidents, incident_systems, incident_teams = [], [], []
        surprises, difficulties, gaps, timeline = [], [], [], []
        reviews, actions, surveys = [], [], []
        near_misses, near_miss_systems = [], []
        theme_incidents, theme_surprises, theme_difficulties = [], [], []
        created = datetime.now(UTC)
        for pk in batch:
            started = first + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            detected = started + timedelta(minutes=rng.lognormvariate(2.2, 1.2))
            mitigated = detected + timedelta(minutes=rng.lognormvariate(3.7, 1.0))
            resolved = mitigated + timedelta(minutes=rng.lognormvariate(4.5, 1.1))
            incidents.append(
                (
                    pk,
                    Incident.reference_for(pk),
                    f"{PREFIX}incident {pk}",
                    rng.choices(SEVERITIES, weights=[5, 15, 45, 35])[0],
                    "closed",
                    started,
                    detected,
                    mitigated,
                    resolved,
                    rng.random() < 0.02,
                    created,
                    created,
                )
            )
            touched = {rng.choices(system_ids, weights=weights)[0]}
            if rng.random() < 0.5:
                touched.add(rng.choices(system_ids, weights=weights)[0])
            touched = sorted(touched)
            for role_index, system in enumerate(touched):
                ids["incident_system"] += 1
                incident_systems.append(
                    (ids["incident_system"], pk, system, ROLES[min(role_index, 2)])
                )
            incident_teams.append((pk, rng.choice(team_ids)))
            if rng.random() < 0.5:
                theme_incidents.append((rng.choice(theme_ids), pk))
            for _ in range(rng.choice((1, 2, 3, 4, 5))):  # about 3 per incident
                ids["surprise"] += 1
                system = rng.choice(touched) if rng.random() < 0.9 else None
                surprises.append((ids["surprise"], pk, None, system, "fast", "slow", created))
                if rng.random() < 0.3:
                    theme_surprises.append((rng.choice(theme_ids), ids["surprise"]))
            ids["difficulty"] += 1  # 1 per incident
            difficulties.append(
                (ids["difficulty"], pk, None, rng.choice(touched), rng.choice(CATEGORIES), created)
            )
            if rng.random() < 0.3:
                theme_difficulties.append((rng.choice(theme_ids), ids["difficulty"]))
            if rng.random() < 0.3:  # 0.3 ownership gaps per incident
                ids["gap"] += 1
                gaps.append(
                    (
                        ids["gap"],
                        pk,
                        None,
                        rng.choice(touched),
                        rng.choice(GAP_KINDS),
                        rng.random() < 0.4,
                        created,
                    )
                )
            ids["timeline"] += 1
            timeline.append((ids["timeline"], pk, detected, "detection", created))
            if rng.random() < 0.5:
                ids["review"] += 1
                published = rng.random() < 0.7
                reviews.append(
                    (
                        ids["review"],
                        pk,
                        "published" if published else "in_progress",
                        resolved + timedelta(days=rng.lognormvariate(1.8, 0.6))
                        if published
                        else None,
                        created,
                    )
                )
                ids["action"] += 1
                status = rng.choice(["open", "in_progress", "done", "done"])
                actions.append(
                    (
                        ids["action"],
                        ids["review"],
                        None if rng.random() < 0.1 else rng.choice(team_ids),
                        (resolved + timedelta(days=30)).date(),
                        status,
                        resolved + timedelta(days=20) if status == "done" else None,
                        created,
                    )
                )
                if published:
                    ids["survey"] += 1
                    surveys.append(
                        (ids["survey"], ids["review"], rng.choice(people).pk, rng.random() < 0.7)
                    )
            # Near misses: about as many as incidents, some with a surprise of their own.
            occurred = first + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            near_misses.append((pk, f"{PREFIX}near miss {pk}", occurred, created))
            near_miss_systems.append((pk, rng.choices(system_ids, weights=weights)[0]))
            if rng.random() < 0.3:
                ids["surprise"] += 1
                surprises.append((ids["surprise"], None, pk, None, "fine", "not", created))
        return [
            (
                Incident,
                [
                    "id",
                    "reference",
                    "title",
                    "severity",
                    "status",
                    "started_at",
                    "detected_at",
                    "mitigated_at",
                    "resolved_at",
                    "is_private",
                    "created_at",
                    "updated_at",
                ],
                incidents,
            ),
            (NearMiss, ["id", "title", "occurred_at", "created_at"], near_misses),
            (IncidentSystem, ["id", "incident_id", "system_id", "role"], incident_systems),
            (M2M["incident_teams"], ["incident_id", "team_id"], incident_teams),
            (M2M["near_miss_systems"], ["nearmiss_id", "system_id"], near_miss_systems),
            (
                Surprise,
                [
                    "id",
                    "incident_id",
                    "near_miss_id",
                    "system_id",
                    "expected",
                    "observed",
                    "created_at",
                ],
                surprises,
            ),
            (
                Difficulty,
                ["id", "incident_id", "near_miss_id", "system_id", "category", "created_at"],
                difficulties,
            ),
            (
                OwnershipGap,
                [
                    "id",
                    "incident_id",
                    "near_miss_id",
                    "system_id",
                    "kind",
                    "resolved",
                    "created_at",
                ],
                gaps,
            ),
            (TimelineEntry, ["id", "incident_id", "at", "kind", "created_at"], timeline),
            (Review, ["id", "incident_id", "status", "published_at", "created_at"], reviews),
            (
                ActionItem,
                [
                    "id",
                    "review_id",
                    "owner_team_id",
                    "due_date",
                    "status",
                    "completed_at",
                    "created_at",
                ],
                actions,
            ),
            (
                SurveyResponse,
                ["id", "review_id", "respondent_id", "learned_something"],
                surveys,
            ),
            (M2M["theme_incidents"], ["theme_id", "incident_id"], theme_incidents),
            (M2M["theme_surprises"], ["theme_id", "surprise_id"], theme_surprises),
            (M2M["theme_difficulties"], ["theme_id", "difficulty_id"], theme_difficulties),
        ]

    # --- measuring ----------------------------------------------------------------------------

    def _measure(self, runs: int, wanted: set) -> None:
        client = Client()
        client.force_login(get_user_model().objects.get(username=ADMIN))
        busiest = f"{PREFIX}system-0"  # the generator's weights favour the first system
        period = Period.last_full_quarter()
        raw = _RawSql(period)
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
        pages = [page[1:] for page in pages if page[0] in wanted]
        self.stdout.write(
            f"Period {period.label}; {runs} timed runs per page after 2 warm-up runs.\n\n"
            "| page | p50 ms | p95 ms | queries | raw SQL p50 ms | page / raw |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |"
        )
        for label, url, raw_sql in pages:
            for _ in range(2):
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
            queries = _count_queries(lambda url=url: client.get(url))
            page_times = _timed(lambda url=url: client.get(url), runs)
            raw_p50 = raw_text = ratio = "n/a"
            if raw_sql is not None:
                raw_sql()
                raw_times = _timed(raw_sql, runs)
                raw_p50 = statistics.median(raw_times)
                ratio = f"{statistics.median(page_times) / raw_p50:.2f}"
                raw_text = f"{raw_p50:.0f}"
            self.stdout.write(
                f"| {label} | {statistics.median(page_times):.0f} | {_p95(page_times):.0f} | "
                f"{queries} | {raw_text} | {ratio} |"
            )


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


def _count_queries(action: Callable[[], object]) -> int:
    """Counted by an execute wrapper: every request resets Django's own query log."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        action()
    return len(seen)


def _timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p95(values: list[float]) -> float:
    return stats.percentile(values, 95)


class _RawSql:
    """The dashboards' aggregates written by hand, for a superuser without filters.

    Written as one would by hand with the same indexes: each signal query is a UNION ALL of
    the incident side and the near-miss side (so each side starts from its time index), and
    the overview scans each signal table once for its counts and its trend.
    """

    SIDES = (
        ("incidents_incident", "incident_id", "started_at"),
        ("incidents_nearmiss", "near_miss_id", "occurred_at"),
    )

    def __init__(self, period: Period):
        self.postgres = connection.vendor == "postgresql"
        previous = period.previous()
        trend = Period.months_ending(period.end_date, 12)
        adapt = connection.ops.adapt_datetimefield_value
        self.p = {
            "cs": adapt(period.start),
            "ce": adapt(period.end),
            "ps": adapt(previous.start),
            "pe": adapt(previous.end),
            "ts": adapt(trend.start),
            "te": adapt(trend.end),
        }

    def _run(self, sql: str, params: Sequence = ()) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _month(self, column: str) -> str:
        if self.postgres:
            return f"date_trunc('month', {column} AT TIME ZONE 'UTC')"
        return f"substr({column}, 1, 7)"

    def _sides(self, select: str, source: str, where: str, group: str, params: list) -> list:
        """SELECT ... over the incident side UNION ALL the near-miss side; `select`, `where`
        and `group` use {t} for the subject's time column and the alias s for the signal."""
        parts, all_params = [], []
        for subject, key, column in self.SIDES:
            t = f"x.{column}"
            parts.append(
                f"SELECT {select.format(t=t)} FROM {source} JOIN {subject} x ON x.id = s.{key} "
                f"WHERE {where.format(t=t)} GROUP BY {group.format(t=t)}"
            )
            all_params += params
        return self._run(" UNION ALL ".join(parts), all_params)

    def _signal_overview(self, table: str, keys: str = "") -> None:
        p = self.p
        keys_select = f"{keys}, " if keys else ""
        self._sides(
            f"{keys_select}{self._month('{t}')},"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s)",
            f"{table} s",
            "(({t} >= %s AND {t} < %s) OR ({t} >= %s AND {t} < %s))",
            f"{keys_select}{self._month('{t}')}",
            [
                p["cs"],
                p["ce"],
                p["ps"],
                p["pe"],
                p["ts"],
                p["te"],
                p["ps"],
                p["ce"],
                p["ts"],
                p["te"],
            ],
        )

    def _signals_by_system(self, table: str) -> None:
        """This period's and the previous one's signals per system (named, then inherited)."""
        p = self.p
        both = (
            "COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s)"
        )
        self._sides(
            "s.system_id, " + both,
            f"{table} s",
            "s.system_id IS NOT NULL AND {t} >= %s AND {t} < %s",
            "s.system_id",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        self._run(
            f"""SELECT r.system_id, {both.format(t="i.started_at")} FROM {table} s
            JOIN incidents_incident i ON i.id = s.incident_id
            JOIN incidents_incidentsystem r ON r.incident_id = i.id
            WHERE s.system_id IS NULL AND i.started_at >= %s AND i.started_at < %s
            GROUP BY r.system_id
            UNION ALL
            SELECT ns.system_id, {both.format(t="n.occurred_at")} FROM {table} s
            JOIN incidents_nearmiss n ON n.id = s.near_miss_id
            JOIN incidents_nearmiss_systems ns ON ns.nearmiss_id = n.id
            WHERE s.system_id IS NULL AND n.occurred_at >= %s AND n.occurred_at < %s
            GROUP BY ns.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]] * 2,
        )

    def systems(self) -> None:
        p = self.p
        self._run(
            """SELECT s.id, s.name, s.slug, s.tier, t.name, t.slug FROM incidents_system s
            LEFT JOIN incidents_team t ON t.id = s.owner_team_id ORDER BY s.name"""
        )
        self._run(
            """SELECT r.system_id,
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s),
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s)
            FROM incidents_incidentsystem r JOIN incidents_incident i ON i.id = r.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s GROUP BY r.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        self._run(
            """SELECT ns.system_id,
                COUNT(*) FILTER (WHERE n.occurred_at >= %s AND n.occurred_at < %s),
                COUNT(*) FILTER (WHERE n.occurred_at >= %s AND n.occurred_at < %s)
            FROM incidents_nearmiss_systems ns JOIN incidents_nearmiss n ON n.id = ns.nearmiss_id
            WHERE n.occurred_at >= %s AND n.occurred_at < %s GROUP BY ns.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        for table in ("incidents_surprise", "incidents_difficulty", "incidents_ownershipgap"):
            self._signals_by_system(table)

    def overview(self) -> None:
        p = self.p
        self._run(
            """SELECT
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s AND EXISTS
                    (SELECT 1 FROM incidents_surprise s WHERE s.incident_id = i.id)),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s AND EXISTS
                    (SELECT 1 FROM incidents_surprise s WHERE s.incident_id = i.id))
            FROM incidents_incident i WHERE started_at >= %s AND started_at < %s""",
            [
                p["cs"],
                p["ce"],
                p["ps"],
                p["pe"],
                p["cs"],
                p["ce"],
                p["ps"],
                p["pe"],
                p["ps"],
                p["ce"],
            ],
        )
        self._run(
            """SELECT COUNT(*) FILTER (WHERE occurred_at >= %s AND occurred_at < %s),
                COUNT(*) FILTER (WHERE occurred_at >= %s AND occurred_at < %s)
            FROM incidents_nearmiss WHERE occurred_at >= %s AND occurred_at < %s""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        # Each signal table once: this and the previous period, and the 12-month trend.
        self._signal_overview("incidents_surprise")
        self._signal_overview("incidents_difficulty", "s.category")
        self._signal_overview("incidents_ownershipgap", "s.kind, s.resolved")
        self._run(
            """SELECT sy.slug, sy.name, COUNT(DISTINCT r.incident_id)
            FROM incidents_incidentsystem r
            JOIN incidents_system sy ON sy.id = r.system_id
            JOIN incidents_incident i ON i.id = r.incident_id
            WHERE sy.owner_team_id IS NULL AND i.started_at >= %s AND i.started_at < %s
            GROUP BY sy.slug, sy.name""",
            [p["cs"], p["ce"]],
        )
        # Learning loop.
        self._run(
            """SELECT COUNT(*), COUNT(*) FILTER (WHERE r.status = 'published')
            FROM incidents_incident i LEFT JOIN reviews_review r ON r.incident_id = i.id
            WHERE i.started_at >= %s AND i.started_at < %s""",
            [p["cs"], p["ce"]],
        )
        publish = (
            "r.published_at - i.resolved_at"
            if self.postgres
            else "round((julianday(r.published_at) - julianday(i.resolved_at)) * 86400.0, 3)"
        )
        self._durations(
            """FROM incidents_incident i JOIN reviews_review r ON r.incident_id = i.id
            WHERE i.started_at >= %s AND i.started_at < %s AND r.status = 'published'
            AND r.published_at IS NOT NULL""",
            [publish],
        )
        today = connection.ops.adapt_datefield_value(datetime.now(UTC).date())
        self._run(
            """SELECT COUNT(*) FILTER (WHERE a.status = 'open'),
                COUNT(*) FILTER (WHERE a.status = 'in_progress'),
                COUNT(*) FILTER (WHERE a.status = 'done'),
                COUNT(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date < %s),
                COUNT(*) FILTER (WHERE a.owner_team_id IS NULL)
            FROM reviews_actionitem a JOIN reviews_review r ON r.id = a.review_id
            JOIN incidents_incident i ON i.id = r.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s""",
            [today, p["cs"], p["ce"]],
        )
        self._run(
            """SELECT COUNT(*), COUNT(*) FILTER (WHERE v.learned_something)
            FROM reviews_surveyresponse v JOIN reviews_review r ON r.id = v.review_id
            JOIN incidents_incident i ON i.id = r.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s""",
            [p["cs"], p["ce"]],
        )
        # Time to detect and to resolve.
        if self.postgres:
            columns = ["detected_at - started_at", "resolved_at - started_at"]
        else:
            columns = [
                "round((julianday(detected_at) - julianday(started_at)) * 86400.0, 3)",
                "round((julianday(resolved_at) - julianday(started_at)) * 86400.0, 3)",
            ]
        self._durations(
            "FROM incidents_incident i WHERE started_at >= %s AND started_at < %s", columns
        )
        # Trends of incidents and near misses (the signals' came with their counts above).
        self._run(
            f"""SELECT {self._month("started_at")}, COUNT(*) FROM incidents_incident
            WHERE started_at >= %s AND started_at < %s GROUP BY 1""",
            [p["ts"], p["te"]],
        )
        self._run(
            f"""SELECT {self._month("occurred_at")}, COUNT(*) FROM incidents_nearmiss
            WHERE occurred_at >= %s AND occurred_at < %s GROUP BY 1""",
            [p["ts"], p["te"]],
        )
        self.systems()  # the "where to look next" list

    def _durations(self, from_where: str, columns: list[str]) -> None:
        """PostgreSQL: median, p90 and bins in SQL; SQLite: fetch the column, summarise."""
        params = [self.p["cs"], self.p["ce"]]
        if not self.postgres:
            rows = self._run(f"SELECT {', '.join(columns)} {from_where}", params)
            for index in range(len(columns)):
                stats.duration_summary(
                    [row[index] for row in rows if row[index] is not None and row[index] >= 0]
                )
            return
        parts = []
        for column in columns:
            parts.append(f"COUNT(*) FILTER (WHERE {column} >= interval '0')")
            parts.append(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})")
            parts.append(f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column})")
            for _, low, high in stats.DURATION_BINS:
                upper = "" if high == float("inf") else f" AND {column} < interval '{high} seconds'"
                parts.append(f"COUNT(*) FILTER (WHERE {column} >= interval '{low} seconds'{upper})")
        self._run(f"SELECT {', '.join(parts)} {from_where}", params)

    def themes(self) -> None:
        p = self.p
        self._run(
            """SELECT t.theme_id,
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s),
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s)
            FROM reviews_theme_incidents t JOIN incidents_incident i ON i.id = t.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s GROUP BY t.theme_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        for through, table, column in (
            ("reviews_theme_surprises", "incidents_surprise", "surprise_id"),
            ("reviews_theme_difficulties", "incidents_difficulty", "difficulty_id"),
        ):
            self._sides(
                "t.theme_id, COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
                " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s)",
                f"{through} t JOIN {table} s ON s.id = t.{column}",
                "{t} >= %s AND {t} < %s",
                "t.theme_id",
                [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
            )
        self._run("SELECT id, name, slug FROM reviews_theme ORDER BY name")
