"""Every aggregate the dashboards and the report API show: one place, so they never disagree.

Interface (all keyword-only; each returns frozen dataclasses of plain values, no templates):

    period_comparison(*, user, period, filters) -> Summary
    learning_loop(*, user, period, filters) -> LearningLoop
    duration_distributions(*, user, period, filters) -> Durations
    monthly_trends(*, user, filters, months=12, end=None) -> MonthlyTrend
    dashboard_overview(*, user, period, filters, months=12) -> Overview (all of the above
        for one period, sharing scans: what the /dashboard/ page calls)
    system_rows(*, user, period, filters) -> tuple[SystemRow, ...]
    system_history(*, user, system, filters=None, months=12, end=None) -> SystemHistory
    theme_rows(*, user, period, filters) -> tuple[ThemeRow, ...]

`period` is a dashboards.periods.Period; the comparison is always against `period.previous()`.
`filters` is a dashboards.periods.DashboardFilters. Semantics follow the list-page filters:
- incidents are placed in a period by started_at, near misses by occurred_at, and a surprise,
  difficulty or ownership gap by the time of its incident or near miss;
- `team`: incidents that involve the team or touch a system it owns; near misses that touch
  a system it owns; signals whose incident or near miss matches; follow-ups owned by it;
- `system`: incidents and near misses that touch it; signals recorded against it (their
  own `system`); follow-ups of incidents that touch it;
- `severity`: the incident's severity; a near miss's potential severity; a signal's subject's.
- Private incidents, and what hangs off them, count only for users who may see them
  (`Incident.objects.visible_to(user)` is the base of every query).

Performance: every function runs a fixed number of queries whatever the data size, and each
aggregates in the database (GROUP BY, conditional COUNT ... FILTER, EXISTS). Python only
touches aggregated rows (one per month, system, category or theme), never one per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
)

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from incidents.days import utc_today
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Theme,
)
from reviews.models import ActionItem, Review, SurveyResponse, follow_up_overdue_q

PER_DAYS = 30  # failure rates are shown per 30 days
TREND_MONTHS = 12
LIST_LIMIT = 50  # rows of incidents / near misses on a system's page

SIGNALS = ("incidents", "near_misses", "surprises", "difficulties", "ownership_gaps")
SIGNAL_LABELS = {
    "incidents": "Incidents",
    "near_misses": "Near misses",
    "surprises": "Surprises",
    "difficulties": "Difficulties in understanding",
    "ownership_gaps": "Ownership gaps",
}

# "Act here next cycle": a system is HIGH on a signal when its count this period reaches the
# top quarter of all systems in the catalog (at least the top 3; ties included) AND is at
# least HIGH_MIN_COUNT; it is flagged when it is high on at least ACT_HERE_MIN_SIGNALS of the
# five signals. Plain ranks, not a statistical claim: a shortlist for the next cycle.
HIGH_MIN_COUNT = 3
HIGH_TOP_SHARE = 0.25
HIGH_TOP_AT_LEAST = 3
ACT_HERE_MIN_SIGNALS = 3
HIGH_RULE = (
    "A system is high on a signal when its count this period reaches the top quarter of all "
    f"systems (at least the top {HIGH_TOP_AT_LEAST}, ties included) and is {HIGH_MIN_COUNT} "
    f"or more; it is flagged when it is high on {ACT_HERE_MIN_SIGNALS} or more of the five "
    "signals."
)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountComparison:
    """A count this period against the previous one, with a Garwood 95% interval on the
    current count and the conditional binomial rate-ratio test (exposure = days)."""

    current: int
    previous: int
    interval: tuple[float, float]
    comparison: stats.Comparison

    @property
    def verdict(self) -> str:
        return self.comparison.verdict

    @property
    def p_value(self) -> float:
        return self.comparison.p_value


@dataclass(frozen=True)
class ShareComparison:
    """A share (Wilson 95% intervals) this period against the previous, two-proportion test."""

    current: stats.Proportion
    previous: stats.Proportion
    comparison: stats.Comparison

    @property
    def verdict(self) -> str:
        return self.comparison.verdict

    @property
    def p_value(self) -> float:
        return self.comparison.p_value


@dataclass(frozen=True)
class Ratio:
    """numerator / denominator (near misses per incident), with a 95% interval.

    Conditional on the total, numerator ~ Binomial(total, r / (1 + r)); the Wilson interval
    on that share, mapped through p / (1 - p), bounds the ratio r. None when undefined.
    """

    numerator: int
    denominator: int
    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class CategoryCount:
    key: str
    label: str
    counts: CountComparison


@dataclass(frozen=True)
class KindCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class UnownedSystem:
    slug: str
    name: str
    incidents: int


@dataclass(frozen=True)
class Summary:
    period: Period
    previous_period: Period
    filters: DashboardFilters
    incidents: CountComparison
    near_misses: CountComparison
    near_miss_ratio: Ratio
    near_miss_ratio_previous: Ratio
    surprises: CountComparison
    incidents_with_surprise: ShareComparison
    difficulties: CountComparison
    difficulties_by_category: tuple[CategoryCount, ...]
    ownership_gaps: CountComparison
    open_ownership_gaps: int
    open_ownership_gaps_by_kind: tuple[KindCount, ...]
    unowned_systems: tuple[UnownedSystem, ...]

    @property
    def is_empty(self) -> bool:
        """Nothing recorded in either period: the page shows a "no data" state."""
        return not any(
            getattr(self, name).current or getattr(self, name).previous for name in SIGNALS
        )


@dataclass(frozen=True)
class LearningLoop:
    """How well the loop closes for the incidents of the period (placed by started_at)."""

    incidents: int
    reviews_published: int
    published_share: stats.Proportion
    days_to_publish: stats.DurationSummary  # seconds from resolution to published review
    follow_ups_open: int
    follow_ups_in_progress: int
    follow_ups_done: int
    follow_ups_overdue: int
    follow_ups_unowned: int
    survey_responses: int
    learned_something: stats.Proportion


@dataclass(frozen=True)
class Durations:
    """Time to detect (started -> detected) and to resolve (started -> resolved), seconds."""

    time_to_detect: stats.DurationSummary
    time_to_resolve: stats.DurationSummary


@dataclass(frozen=True)
class MonthlyTrend:
    """One value per calendar month, oldest first; months holds each month's first day."""

    months: tuple[date, ...]
    incidents: tuple[int, ...]
    near_misses: tuple[int, ...]
    surprises: tuple[int, ...]
    difficulties: tuple[int, ...]
    ownership_gaps: tuple[int, ...]

    @property
    def period(self) -> Period:
        return Period.months_ending(self.end, len(self.months))

    @property
    def end(self) -> date:
        last = self.months[-1]
        return date(last.year + last.month // 12, last.month % 12 + 1, 1)

    def series(self) -> dict[str, tuple[int, ...]]:
        return {name: getattr(self, name) for name in SIGNALS}


@dataclass(frozen=True)
class SystemRow:
    slug: str
    name: str
    owner_team: str | None
    owner_team_slug: str | None
    tier: int
    incidents: int
    incidents_previous: int
    near_misses: int
    surprises: int
    difficulties: int
    ownership_gaps: int
    failure_rate: stats.RateEstimate  # incidents per 30 days, Garwood 95%
    change: stats.Comparison  # incidents, this period against the previous
    high_on: tuple[str, ...]  # the signals this system is "high" on (see HIGH_RULE)
    near_misses_previous: int = 0
    surprises_previous: int = 0
    difficulties_previous: int = 0
    ownership_gaps_previous: int = 0
    high_on_previous: tuple[str, ...] = ()  # ... in the previous period

    @property
    def act_here(self) -> bool:
        return len(self.high_on) >= ACT_HERE_MIN_SIGNALS

    @property
    def flagged_previously(self) -> bool:
        """Flagged last cycle: did acting on it help? (compare the *_previous counts)"""
        return len(self.high_on_previous) >= ACT_HERE_MIN_SIGNALS

    @property
    def has_owner(self) -> bool:
        return self.owner_team is not None


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows, from shared scans of the signal tables."""

    summary: Summary
    learning_loop: LearningLoop
    durations: Durations
    trend: MonthlyTrend
    systems: tuple[SystemRow, ...]


@dataclass(frozen=True)
class SystemHistory:
    system: System
    trend: MonthlyTrend
    incidents: tuple[Incident, ...]  # most recent first, at most LIST_LIMIT
    near_misses: tuple[NearMiss, ...]
    open_follow_ups: tuple[ActionItem, ...]


@dataclass(frozen=True)
class ThemeRow:
    slug: str
    name: str
    incidents: int
    surprises: int
    difficulties: int
    incidents_previous: int
    surprises_previous: int
    difficulties_previous: int
    change: stats.Comparison  # total this period against the previous

    @property
    def total(self) -> int:
        return self.incidents + self.surprises + self.difficulties

    @property
    def total_previous(self) -> int:
        return self.incidents_previous + self.surprises_previous + self.difficulties_previous

    @property
    def recurring(self) -> bool:
        """Carried by records in both cycles: the learning did not stop it coming back."""
        return self.total > 0 and self.total_previous > 0


# --- query building blocks --------------------------------------------------------------------


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


def _between(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _within(field: str, *periods: Period) -> Q:
    """field in any of the periods, as few ranges as possible: a cycle and the one before
    are one contiguous range, which an index scans once (an OR of ranges it may not)."""
    merged: list[list] = []
    for period in sorted(periods, key=lambda period: period.start):
        if merged and period.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], period.end)
        else:
            merged.append([period.start, period.end])
    q = Q()
    for start, end in merged:
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def _incident_filters_q(
    path: str = "",
    *,
    team: str | None = None,
    system: str | None = None,
    severity: str | None = None,
) -> Q:
    """Filters on incidents reached through `path` ("" for Incident itself)."""
    p = _prefix(path)
    ref = OuterRef(path or "pk")
    q = Q()
    if severity:
        q &= Q(**{f"{p}severity": severity})
    if system:
        q &= Q(Exists(IncidentSystem.objects.filter(incident=ref, system__slug=system)))
    if team:
        involved = Incident.teams.through.objects.filter(incident=ref, team__slug=team)
        owns = IncidentSystem.objects.filter(incident=ref, system__owner_team__slug=team)
        q &= Q(Exists(involved)) | Q(Exists(owns))
    return q


def _near_miss_filters_q(
    path: str = "",
    *,
    team: str | None = None,
    system: str | None = None,
    severity: str | None = None,
) -> Q:
    p = _prefix(path)
    ref = OuterRef(path or "pk")
    through = NearMiss.systems.through.objects
    q = Q()
    if severity:
        q &= Q(**{f"{p}potential_severity": severity})
    if system:
        q &= Q(Exists(through.filter(nearmiss=ref, system__slug=system)))
    if team:
        q &= Q(Exists(through.filter(nearmiss=ref, system__owner_team__slug=team)))
    return q


def _visible_incident_q(user, path: str) -> Q:
    """Incidents reached through `path` that the user may see (no-op for superusers)."""
    if user.is_superuser:
        return Q()
    return Q(**{f"{path}__in": Incident.objects.visible_to(user)})


def _incidents(user, filters: DashboardFilters):
    return Incident.objects.visible_to(user).filter(
        _incident_filters_q(team=filters.team, system=filters.system, severity=filters.severity)
    )


def _near_misses(filters: DashboardFilters):
    return NearMiss.objects.filter(
        _near_miss_filters_q(team=filters.team, system=filters.system, severity=filters.severity)
    )


def _signal_scope_q(user, filters: DashboardFilters, path: str = "") -> Q:
    """Visibility and filters for surprises, difficulties or ownership gaps at `path`.

    As on the signal lists (incidents/filters.py): a signal is about a system when it names
    it, or names none and its incident or near miss touched it; severity is the incident's
    (a near miss's signal never matches one); team goes through the incident or near miss.
    """
    p = _prefix(path)
    q = Q()
    on_incident = Q(**{f"{p}incident__isnull": False})
    on_near_miss = Q(**{f"{p}near_miss__isnull": False})
    if not user.is_superuser:
        q &= Q(**{f"{p}incident__isnull": True}) | _visible_incident_q(user, f"{p}incident")
    if filters.system:
        inherited = (on_incident & _incident_filters_q(f"{p}incident", system=filters.system)) | (
            on_near_miss & _near_miss_filters_q(f"{p}near_miss", system=filters.system)
        )
        q &= Q(**{f"{p}system__slug": filters.system}) | (
            Q(**{f"{p}system__isnull": True}) & inherited
        )
    if filters.severity:
        q &= Q(**{f"{p}incident__severity": filters.severity})
    if filters.team:
        q &= (on_incident & _incident_filters_q(f"{p}incident", team=filters.team)) | (
            on_near_miss & _near_miss_filters_q(f"{p}near_miss", team=filters.team)
        )
    return q


SIDES = ("incident__started_at", "near_miss__occurred_at")


def _per_side(
    queryset,
    *,
    windows: dict[str, Period],
    keys: Sequence[str] = (),
    month: bool = False,
    path: str = "",
) -> dict[tuple, dict[str, int]]:
    """Signal counts in each named window, grouped by `keys` (and by the subject's month).

    One query per kind of subject (incident, near miss) instead of one query over both: a
    join on the subject's time range lets the database start from the subject's time index,
    where "incident in range OR near miss in range" forces a scan of the whole signal table.
    Rows returned are groups (months, categories, systems), never one per record.
    """
    p = _prefix(path)
    result: dict[tuple, dict[str, int]] = {}
    for side in SIDES:
        when = f"{p}{side}"
        rows = queryset.filter(_within(when, *windows.values()))
        group = list(keys)
        if month:
            rows = rows.annotate(_month=_MonthOf(when))
            group.append("_month")
        counts = {
            name: Count("pk", filter=_between(when, period)) for name, period in windows.items()
        }
        found = (
            [rows.aggregate(**counts)]
            if not group
            else rows.values(*group).annotate(**counts).order_by()
        )
        for row in found:
            key = tuple(row[name] for name in group)
            totals = result.setdefault(key, dict.fromkeys(windows, 0))
            for name in windows:
                totals[name] += row[name]
    return result


def _counts(current: int, previous: int, period: Period, previous_period: Period):
    return CountComparison(
        current=current,
        previous=previous,
        interval=stats.garwood_interval(current),
        comparison=stats.rate_ratio_test(current, previous, period.days, previous_period.days),
    )


def _ratio(numerator: int, denominator: int) -> Ratio:
    if denominator == 0:
        return Ratio(numerator, denominator, None, None, None)
    lower, upper = stats.wilson_interval(numerator, numerator + denominator)
    return Ratio(
        numerator,
        denominator,
        numerator / denominator,
        lower / (1 - lower),
        upper / (1 - upper) if upper < 1 else None,  # None: unbounded above
    )


# --- durations: median and p90 in the database on PostgreSQL ------------------------------------


class _PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate; works on intervals, so no epoch conversion."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


class _SqliteSeconds(Func):
    """Seconds between two timestamps with SQLite's native julianday(), rounded to the
    millisecond. Django's own datetime subtraction on SQLite calls back into Python for every
    row, which costs several times more on large periods."""

    template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
    arg_joiner = ") - julianday("
    output_field = FloatField()


class _MonthOf(Func):
    """The UTC calendar month of a timestamp, computed natively by the database (TruncMonth
    on SQLite calls back into Python for every row): "YYYY-MM" text on SQLite, the month's
    first instant on PostgreSQL (date_trunc is cheaper than formatting every row)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        # SQLite stores UTC timestamps as "YYYY-MM-DD HH:MM:SS": the month is the prefix.
        return super().as_sql(
            compiler, connection, template="SUBSTR(%(expressions)s, 1, 7)", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="DATE_TRUNC('month', %(expressions)s AT TIME ZONE 'UTC')::date",
            **extra_context,
        )


def _duration_summaries(
    queryset, spans: dict[str, tuple[str, str]]
) -> dict[str, stats.DurationSummary]:
    """Median, p90, n and log-scale bins of each span (end field, start field).

    One query either way. On PostgreSQL the database computes everything (PERCENTILE_CONT
    and a COUNT ... FILTER per bin), so only one row comes back whatever the data size. SQLite
    has no percentile aggregate: there we fetch only the durations, in seconds (one row per
    incident of the period), and summarise them in Python with stats.duration_summary; the
    benchmark shows what that costs. Negative durations (bad data) and missing timestamps
    are left out.
    """
    names = {name: f"_duration_{name}" for name in spans}
    if connection.vendor != "postgresql":
        seconds = queryset.annotate(
            **{names[name]: _SqliteSeconds(end, start) for name, (end, start) in spans.items()}
        )
        any_valid = Q()
        for name in spans:
            any_valid |= Q(**{f"{names[name]}__gte": 0})
        columns: dict[str, list[float]] = {name: [] for name in spans}
        for row in seconds.filter(any_valid).values_list(*names.values()):
            for name, value in zip(spans, row, strict=True):
                if value is not None and value >= 0:
                    columns[name].append(value)
        return {name: stats.duration_summary(values) for name, values in columns.items()}

    queryset = queryset.annotate(
        **{
            names[name]: ExpressionWrapper(F(end) - F(start), output_field=DurationField())
            for name, (end, start) in spans.items()
        }
    )
    aggregates = {}
    for name in spans:
        column = names[name]
        valid = Q(**{f"{column}__gte": timedelta(0)})
        aggregates[f"{name}__n"] = Count("pk", filter=valid)
        aggregates[f"{name}__median"] = _PercentileCont(column, 0.5, filter=valid)
        aggregates[f"{name}__p90"] = _PercentileCont(column, 0.9, filter=valid)
        for index, (_, low, high) in enumerate(stats.DURATION_BINS):
            in_bin = Q(**{f"{column}__gte": timedelta(seconds=low)})
            if high != float("inf"):
                in_bin &= Q(**{f"{column}__lt": timedelta(seconds=high)})
            aggregates[f"{name}__bin{index}"] = Count("pk", filter=in_bin)
    row = queryset.aggregate(**aggregates)
    result = {}
    for name in spans:
        median, p90 = row[f"{name}__median"], row[f"{name}__p90"]
        result[name] = stats.duration_summary_from_parts(
            n=row[f"{name}__n"],
            median=median.total_seconds() if median is not None else None,
            p90=p90.total_seconds() if p90 is not None else None,
            counts=[row[f"{name}__bin{i}"] for i in range(len(stats.DURATION_BINS))],
        )
    return result


# --- the selectors ----------------------------------------------------------------------------


def period_comparison(*, user, period: Period, filters: DashboardFilters) -> Summary:
    """The five signals this period against the previous one (9 queries)."""
    return _summary(user=user, period=period, filters=filters)[0]


def _summary(
    *, user, period: Period, filters: DashboardFilters, trend: Period | None = None
) -> tuple[Summary, dict[str, dict[date, int]], dict[str, dict[int, dict[str, int]]]]:
    """The summary, and, when `trend` is given, from the same scans of the signal tables:
    each signal's monthly counts over `trend`, and this period's signals per system they
    name (the overview page needs all three)."""
    previous = period.previous()
    cur, prev = _between("started_at", period), _between("started_at", previous)
    has_surprise = Q(Exists(Surprise.objects.filter(incident=OuterRef("pk"))))
    incidents = (
        _incidents(user, filters)
        .filter(_within("started_at", period, previous))
        .aggregate(
            current=Count("pk", filter=cur),
            previous=Count("pk", filter=prev),
            surprised=Count("pk", filter=cur & has_surprise),
            surprised_previous=Count("pk", filter=prev & has_surprise),
        )
    )
    cur_nm, prev_nm = _between("occurred_at", period), _between("occurred_at", previous)
    near_misses = (
        _near_misses(filters)
        .filter(_within("occurred_at", period, previous))
        .aggregate(current=Count("pk", filter=cur_nm), previous=Count("pk", filter=prev_nm))
    )
    windows = {"current": period, "previous": previous}
    if trend is not None:
        windows["trend"] = trend
    months: dict[str, dict[date, int]] = {}
    named_systems: dict[str, dict[int, dict[str, int]]] = {}

    def signal_counts(name, model, *group_by) -> list[dict]:
        # For the overview, also by month (the trend) and by named system (the systems'
        # rows): one scan of the signal table serves all three.
        shared = trend is not None
        grouped = _per_side(
            model.objects.filter(_signal_scope_q(user, filters)),
            windows=windows,
            keys=(*group_by, "system") if shared else group_by,
            month=shared,
        )
        merged: dict[tuple, dict] = {}
        by_month = months.setdefault(name, {})
        by_system = named_systems.setdefault(name, {})
        for key, counts in grouped.items():
            if shared:
                month, system, key = _as_date(key[-1]), key[-2], key[:-2]
                by_month[month] = by_month.get(month, 0) + counts["trend"]
                if system is not None:
                    found = by_system.setdefault(system, {"current": 0, "previous": 0})
                    found["current"] += counts["current"]
                    found["previous"] += counts["previous"]
            row = merged.setdefault(
                key, {**dict(zip(group_by, key, strict=True)), "current": 0, "previous": 0}
            )
            row["current"] += counts["current"]
            row["previous"] += counts["previous"]
        return list(merged.values())

    surprise_rows = signal_counts("surprises", Surprise)
    surprises = {
        "current": sum(row["current"] for row in surprise_rows),
        "previous": sum(row["previous"] for row in surprise_rows),
    }
    by_category = {
        row["category"]: row for row in signal_counts("difficulties", Difficulty, "category")
    }
    gap_rows = signal_counts("ownership_gaps", OwnershipGap, "kind", "resolved")
    # Open gaps are counted from the current period's gaps that are still unresolved.
    open_by_kind: dict[str, int] = {}
    for row in gap_rows:
        if not row["resolved"] and row["current"]:
            open_by_kind[row["kind"]] = open_by_kind.get(row["kind"], 0) + row["current"]

    unowned = (
        IncidentSystem.objects.filter(
            _visible_incident_q(user, "incident"),
            _between("incident__started_at", period),
            _incident_filters_q(
                "incident", team=filters.team, system=filters.system, severity=filters.severity
            ),
            system__owner_team__isnull=True,
        )
        .values("system__slug", "system__name")
        .annotate(incidents=Count("incident", distinct=True))
        .order_by("-incidents", "system__name")
    )

    def total(rows, key):
        return sum(row[key] for row in rows)

    summary = Summary(
        period=period,
        previous_period=previous,
        filters=filters,
        incidents=_counts(incidents["current"], incidents["previous"], period, previous),
        near_misses=_counts(near_misses["current"], near_misses["previous"], period, previous),
        near_miss_ratio=_ratio(near_misses["current"], incidents["current"]),
        near_miss_ratio_previous=_ratio(near_misses["previous"], incidents["previous"]),
        surprises=_counts(surprises["current"], surprises["previous"], period, previous),
        incidents_with_surprise=ShareComparison(
            current=stats.proportion(incidents["surprised"], incidents["current"]),
            previous=stats.proportion(incidents["surprised_previous"], incidents["previous"]),
            comparison=stats.two_proportion_test(
                incidents["surprised"],
                incidents["current"],
                incidents["surprised_previous"],
                incidents["previous"],
            ),
        ),
        difficulties=_counts(
            total(by_category.values(), "current"),
            total(by_category.values(), "previous"),
            period,
            previous,
        ),
        difficulties_by_category=tuple(
            CategoryCount(
                key=key,
                label=label,
                counts=_counts(
                    by_category.get(key, {}).get("current", 0),
                    by_category.get(key, {}).get("previous", 0),
                    period,
                    previous,
                ),
            )
            for key, label in Difficulty.Category.choices
        ),
        ownership_gaps=_counts(
            total(gap_rows, "current"), total(gap_rows, "previous"), period, previous
        ),
        open_ownership_gaps=sum(open_by_kind.values()),
        open_ownership_gaps_by_kind=tuple(
            KindCount(key, label, open_by_kind[key])
            for key, label in OwnershipGap.Kind.choices
            if open_by_kind.get(key)
        ),
        unowned_systems=tuple(
            UnownedSystem(row["system__slug"], row["system__name"], row["incidents"])
            for row in unowned
        ),
    )
    return summary, months, named_systems


def dashboard_overview(
    *, user, period: Period, filters: DashboardFilters, months: int = TREND_MONTHS
) -> Overview:
    """The overview page in one call: the summary and the trends share their scans of the
    signal tables, so the same numbers cost fewer queries than calling each selector."""
    window = Period.months_ending(period.end_date, months)
    summary, signal_months, named = _summary(
        user=user, period=period, filters=filters, trend=window
    )
    return Overview(
        summary=summary,
        learning_loop=learning_loop(user=user, period=period, filters=filters),
        durations=duration_distributions(user=user, period=period, filters=filters),
        trend=_trend(
            user=user,
            filters=filters,
            months=months,
            end=period.end_date,
            signal_months=signal_months,
        ),
        # With a system filter the shared scan only saw that system, but "high" ranks a
        # system among all of them: then the rows count for themselves.
        systems=_system_rows(
            user=user, period=period, filters=filters, named=None if filters.system else named
        ),
    )


def learning_loop(*, user, period: Period, filters: DashboardFilters) -> LearningLoop:
    """Reviews, follow-ups and the survey for the incidents of the period (4 queries)."""
    incidents = _incidents(user, filters).filter(_between("started_at", period))
    published = Q(review__status=Review.Status.PUBLISHED)
    counts = incidents.aggregate(incidents=Count("pk"), published=Count("pk", filter=published))
    days_to_publish = _duration_summaries(
        incidents.filter(published, review__published_at__isnull=False),
        {"publish": ("review__published_at", "resolved_at")},
    )["publish"]

    follow_ups = ActionItem.objects.filter(
        _visible_incident_q(user, "review__incident"),
        _between("review__incident__started_at", period),
        _incident_filters_q("review__incident", system=filters.system, severity=filters.severity),
    )
    if filters.team:  # on follow-ups, `team` is the owner team (as on the follow-ups list)
        follow_ups = follow_ups.filter(owner_team__slug=filters.team)
    follow = follow_ups.aggregate(
        open=Count("pk", filter=Q(status=ActionItem.Status.OPEN)),
        in_progress=Count("pk", filter=Q(status=ActionItem.Status.IN_PROGRESS)),
        done=Count("pk", filter=Q(status=ActionItem.Status.DONE)),
        overdue=Count("pk", filter=follow_up_overdue_q()),
        unowned=Count("pk", filter=Q(owner_team__isnull=True)),
    )
    survey = SurveyResponse.objects.filter(
        _visible_incident_q(user, "review__incident"),
        _between("review__incident__started_at", period),
        _incident_filters_q(
            "review__incident", team=filters.team, system=filters.system, severity=filters.severity
        ),
    ).aggregate(n=Count("pk"), learned=Count("pk", filter=Q(learned_something=True)))
    return LearningLoop(
        incidents=counts["incidents"],
        reviews_published=counts["published"],
        published_share=stats.proportion(counts["published"], counts["incidents"]),
        days_to_publish=days_to_publish,
        follow_ups_open=follow["open"],
        follow_ups_in_progress=follow["in_progress"],
        follow_ups_done=follow["done"],
        follow_ups_overdue=follow["overdue"],
        follow_ups_unowned=follow["unowned"],
        survey_responses=survey["n"],
        learned_something=stats.proportion(survey["learned"], survey["n"]),
    )


def duration_distributions(*, user, period: Period, filters: DashboardFilters) -> Durations:
    """Time to detect and to resolve for the incidents of the period (1 query)."""
    incidents = _incidents(user, filters).filter(_between("started_at", period))
    summaries = _duration_summaries(
        incidents,
        {
            "detect": ("detected_at", "started_at"),
            "resolve": ("resolved_at", "started_at"),
        },
    )
    return Durations(time_to_detect=summaries["detect"], time_to_resolve=summaries["resolve"])


def _by_month(queryset, when) -> dict[date, int]:
    rows = (
        queryset.annotate(_month=_MonthOf(when))
        .values("_month")
        .annotate(n=Count("pk"))
        .order_by("_month")
    )
    return {_as_date(row["_month"]): row["n"] for row in rows}


def _as_date(month) -> date:
    """A _MonthOf value as the month's first day, whatever the database returned."""
    if isinstance(month, date):
        return month.replace(day=1)
    return date.fromisoformat(f"{str(month)[:7]}-01")


def _trend(
    *,
    user,
    filters: DashboardFilters,
    months: int,
    end: date | None,
    signal_months: dict[str, dict[date, int]] | None = None,
) -> MonthlyTrend:
    window = Period.months_ending(end or utc_today(), months)
    series = {
        "incidents": _by_month(
            _incidents(user, filters).filter(_between("started_at", window)), "started_at"
        ),
        "near_misses": _by_month(
            _near_misses(filters).filter(_between("occurred_at", window)), "occurred_at"
        ),
    }
    if signal_months is None:
        signal_months = {}
        for name, model in (
            ("surprises", Surprise),
            ("difficulties", Difficulty),
            ("ownership_gaps", OwnershipGap),
        ):
            grouped = _per_side(
                model.objects.filter(_signal_scope_q(user, filters)),
                windows={"trend": window},
                month=True,
            )
            signal_months[name] = {}
            for (month,), counts in grouped.items():
                month = _as_date(month)
                signal_months[name][month] = signal_months[name].get(month, 0) + counts["trend"]
    series.update(signal_months)
    month_starts = tuple(window.month_starts())
    return MonthlyTrend(
        months=month_starts,
        **{
            name: tuple(values.get(month, 0) for month in month_starts)
            for name, values in series.items()
        },
    )


def monthly_trends(
    *, user, filters: DashboardFilters, months: int = TREND_MONTHS, end: date | None = None
) -> MonthlyTrend:
    """Each signal by calendar month for the `months` months ending at `end` (exclusive;
    default: the current month, included). 5 queries."""
    return _trend(user=user, filters=filters, months=months, end=end)


def system_rows(*, user, period: Period, filters: DashboardFilters) -> tuple[SystemRow, ...]:
    """One row per system for the period (see _system_rows)."""
    return _system_rows(user=user, period=period, filters=filters)


def _system_rows(
    *,
    user,
    period: Period,
    filters: DashboardFilters,
    named: dict[str, dict[int, dict[str, int]]] | None = None,
) -> tuple[SystemRow, ...]:
    """One row per system for the period, with the previous period's incidents (15 queries).

    Rows: every system, or only the filtered system; with a team filter, the systems the team
    owns plus any system with records in the period.
    """
    previous = period.previous()
    incident_scope = Q(
        _visible_incident_q(user, "incident"),
        _incident_filters_q("incident", team=filters.team, severity=filters.severity),
    )
    cur_i, prev_i = (
        _between("incident__started_at", period),
        _between("incident__started_at", previous),
    )
    incident_counts = {
        row["system"]: row
        for row in IncidentSystem.objects.filter(
            incident_scope, _within("incident__started_at", period, previous)
        )
        .values("system")
        .annotate(current=Count("pk", filter=cur_i), previous=Count("pk", filter=prev_i))
        .order_by()
    }
    cur_n, prev_n = (
        _between("nearmiss__occurred_at", period),
        _between("nearmiss__occurred_at", previous),
    )
    near_miss_rows = (
        NearMiss.systems.through.objects.filter(
            _near_miss_filters_q("nearmiss", team=filters.team, severity=filters.severity),
            _within("nearmiss__occurred_at", period, previous),
        )
        .values("system")
        .annotate(current=Count("pk", filter=cur_n), previous=Count("pk", filter=prev_n))
        .order_by()
    )
    scope_without_system = DashboardFilters(team=filters.team, severity=filters.severity)
    # {signal: {"current" | "previous": {system id: count}}}
    counts = {
        "incidents": {
            when: {key: row[when] for key, row in incident_counts.items()}
            for when in ("current", "previous")
        },
        "near_misses": {
            when: {row["system"]: row[when] for row in near_miss_rows}
            for when in ("current", "previous")
        },
    }
    for name, model in (
        ("surprises", Surprise),
        ("difficulties", Difficulty),
        ("ownership_gaps", OwnershipGap),
    ):
        counts[name] = _signal_counts_by_system(
            model,
            _signal_scope_q(user, scope_without_system),
            period,
            previous,
            named=named.get(name) if named is not None else None,
        )
    # All systems (one query): "high" ranks a system among the whole catalog, filtered or not.
    catalog = list(System.objects.select_related("owner_team").order_by("name"))
    systems = [system for system in catalog if system.slug == filters.system or not filters.system]
    high = {
        when: {name: _high_ids(counts[name][when], len(catalog)) for name in SIGNALS}
        for when in ("current", "previous")
    }
    active = {key for name in SIGNALS for key, n in counts[name]["current"].items() if n}

    def count(name, when, system):
        return counts[name][when].get(system.pk, 0)

    rows = []
    for system in systems:  # one row per system: aggregated data, not records
        owned_by_team = system.owner_team is not None and system.owner_team.slug == filters.team
        if filters.team and system.pk not in active and not owned_by_team:
            continue
        current = count("incidents", "current", system)
        previous_count = count("incidents", "previous", system)
        rows.append(
            SystemRow(
                slug=system.slug,
                name=system.name,
                owner_team=system.owner_team.name if system.owner_team else None,
                owner_team_slug=system.owner_team.slug if system.owner_team else None,
                tier=system.tier,
                incidents=current,
                incidents_previous=previous_count,
                near_misses=count("near_misses", "current", system),
                surprises=count("surprises", "current", system),
                difficulties=count("difficulties", "current", system),
                ownership_gaps=count("ownership_gaps", "current", system),
                failure_rate=stats.poisson_rate(current, period.days, per=PER_DAYS),
                change=stats.rate_ratio_test(current, previous_count, period.days, previous.days),
                high_on=tuple(name for name in SIGNALS if system.pk in high["current"][name]),
                near_misses_previous=count("near_misses", "previous", system),
                surprises_previous=count("surprises", "previous", system),
                difficulties_previous=count("difficulties", "previous", system),
                ownership_gaps_previous=count("ownership_gaps", "previous", system),
                high_on_previous=tuple(
                    name for name in SIGNALS if system.pk in high["previous"][name]
                ),
            )
        )
    return tuple(rows)


def _signal_counts_by_system(
    model,
    scope: Q,
    period: Period,
    previous: Period,
    named: dict[int, dict[str, int]] | None = None,
) -> dict[str, dict[int, int]]:
    """Signals per system this period and the previous one, as the lists count them (4
    queries, 2 when the counts by named system come from the overview's shared scan): by the
    system a signal names, and, for signals naming none, by every system their incident or
    near miss touched. Returns {"current": {system: n}, "previous": {system: n}}."""
    windows = {"current": period, "previous": previous}
    if named is None:
        grouped = _per_side(
            model.objects.filter(scope, system__isnull=False), windows=windows, keys=("system",)
        )
        named = {system: found for (system,), found in grouped.items()}
    counts: dict[str, dict[int, int]] = {name: {} for name in windows}
    for system, found in named.items():
        for name in windows:
            counts[name][system] = found[name]
    # A signal has one subject, so only that subject's systems fan it out.
    unnamed = model.objects.filter(scope, system__isnull=True)
    for side, systems in (
        ("incident__started_at", "incident__system_roles__system"),
        ("near_miss__occurred_at", "near_miss__systems"),
    ):
        rows = (
            unnamed.filter(_within(side, period, previous), **{f"{systems}__isnull": False})
            .values(systems)
            .annotate(
                **{name: Count("pk", filter=_between(side, w)) for name, w in windows.items()}
            )
            .order_by()
        )
        for row in rows:
            for name in windows:
                found = counts[name]
                found[row[systems]] = found.get(row[systems], 0) + row[name]
    return counts


def _high_ids(counts: dict[int, int], population: int) -> set[int]:
    """Systems "high" on one signal, by HIGH_RULE, among `population` systems."""
    ranked = sorted((n for n in counts.values() if n >= HIGH_MIN_COUNT), reverse=True)
    if not ranked:
        return set()
    top = max(HIGH_TOP_AT_LEAST, round(population * HIGH_TOP_SHARE))
    threshold = ranked[min(top, len(ranked)) - 1]
    return {key for key, n in counts.items() if n >= max(threshold, HIGH_MIN_COUNT)}


def system_history(
    *,
    user,
    system: System,
    filters: DashboardFilters | None = None,
    months: int = TREND_MONTHS,
    end: date | None = None,
) -> SystemHistory:
    """One system over time: every signal by month, its recent incidents and near misses,
    and the open follow-ups of incidents that touched it (8 queries)."""
    filters = DashboardFilters(
        team=filters.team if filters else None,
        system=system.slug,
        severity=filters.severity if filters else None,
    )
    window = Period.months_ending(end or utc_today(), months)
    incidents = _incidents(user, filters)
    near_misses = _near_misses(filters)
    trend = monthly_trends(user=user, filters=filters, months=months, end=end)
    recent_incidents = tuple(
        incidents.filter(_between("started_at", window)).order_by("-started_at")[:LIST_LIMIT]
    )
    recent_near_misses = tuple(
        near_misses.filter(_between("occurred_at", window)).order_by("-occurred_at")[:LIST_LIMIT]
    )
    follow_ups = tuple(
        ActionItem.objects.open()
        .filter(
            _visible_incident_q(user, "review__incident"),
            _incident_filters_q("review__incident", system=system.slug),
        )
        .select_related("review__incident", "owner_team")
        .order_by("due_date", "pk")[:LIST_LIMIT]
    )
    return SystemHistory(
        system=system,
        trend=trend,
        incidents=recent_incidents,
        near_misses=recent_near_misses,
        open_follow_ups=follow_ups,
    )


def theme_rows(*, user, period: Period, filters: DashboardFilters) -> tuple[ThemeRow, ...]:
    """Codebook themes ranked by the incidents, surprises and difficulties carrying them this
    period (then by the previous period's total); 4 queries."""
    previous = period.previous()
    counts: dict[str, dict[int, dict]] = {}
    incident_through = Theme.incidents.through.objects.filter(
        _visible_incident_q(user, "incident"),
        _incident_filters_q(
            "incident", team=filters.team, system=filters.system, severity=filters.severity
        ),
        _within("incident__started_at", period, previous),
    )
    counts["incidents"] = _theme_counts(
        incident_through,
        _between("incident__started_at", period),
        _between("incident__started_at", previous),
    )
    for name, through, path in (
        ("surprises", Theme.surprises.through, "surprise"),
        ("difficulties", Theme.difficulties.through, "difficulty"),
    ):
        grouped = _per_side(
            through.objects.filter(_signal_scope_q(user, filters, path)),
            windows={"current": period, "previous": previous},
            keys=("theme",),
            path=path,
        )
        counts[name] = {theme: found for (theme,), found in grouped.items()}
    rows = []
    for theme in Theme.objects.order_by("name"):  # one row per codebook entry
        found = {name: counts[name].get(theme.pk, {}) for name in counts}
        current = {name: found[name].get("current", 0) for name in counts}
        before = {f"{name}_previous": found[name].get("previous", 0) for name in counts}
        change = stats.rate_ratio_test(
            sum(current.values()), sum(before.values()), period.days, previous.days
        )
        rows.append(ThemeRow(slug=theme.slug, name=theme.name, change=change, **current, **before))
    rows.sort(key=lambda row: (-row.total, -row.total_previous, row.name))
    return tuple(rows)


def _theme_counts(queryset, current: Q, previous: Q) -> dict[int, dict]:
    return {
        row["theme"]: row
        for row in queryset.values("theme")
        .annotate(current=Count("pk", filter=current), previous=Count("pk", filter=previous))
        .order_by()
    }
