"""Durations: time to detect and to resolve, and the median/p90/bins summary of any span.

The summary is computed in the database on PostgreSQL; SQLite has no percentile aggregate, so
there only the seconds come back and Python summarises them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.cells import RANK_EDGES
from dashboards.rollups.plan import Plan
from dashboards.selectors.expressions import _PercentileCont, _RankBucket, _SqliteSeconds
from dashboards.selectors.scope import _between, _incidents
from incidents.derived import reading_derived
from incidents.scopes import incident_moment


@dataclass(frozen=True)
class Durations:
    """Time to detect (started -> detected) and to resolve (started -> resolved), seconds."""

    time_to_detect: stats.DurationSummary
    time_to_resolve: stats.DurationSummary


_QUANTILES = (0.5, 0.9)  # the median and p90


def _duration_summaries(
    queryset,
    spans: dict[str, tuple[str, str]],
    *,
    plan: Plan | None = None,
    filters: DashboardFilters | None = None,
) -> dict[str, stats.DurationSummary]:
    """Median, p90, n and log-scale bins of each span (end field, start field) of the
    incidents of `queryset` (those of the plan's "current" window). Negative durations (bad
    data) and missing timestamps are left out.

    On PostgreSQL without a team or system filter: from the cells and the rank buckets
    (`_from_rank_buckets`; the same queries whichever months the cells hold). Otherwise on
    PostgreSQL one query computes everything (PERCENTILE_CONT, one sort per span, and a
    COUNT ... FILTER per bin). SQLite has no percentile aggregate: there we fetch only the
    durations, in seconds (one row per incident of the period), and summarise them in
    Python with stats.duration_summary; the benchmark shows what that costs.
    """
    if connection.vendor != "postgresql":
        return _in_python(queryset, spans)
    if plan is None or filters is None or filters.team or filters.system or not reading_derived():
        return _sorted_live(queryset, spans)
    return _from_rank_buckets(queryset, spans, plan, filters)


def _in_python(queryset, spans) -> dict[str, stats.DurationSummary]:
    names = {name: f"_duration_{name}" for name in spans}
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


def _duration(end: str, start: str):
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _in_bin(column: str, index: int) -> Q:
    _, low, high = stats.DURATION_BINS[index]
    found = Q(**{f"{column}__gte": timedelta(seconds=low)})
    if high != float("inf"):
        found &= Q(**{f"{column}__lt": timedelta(seconds=high)})
    return found


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _sorted_live(queryset, spans) -> dict[str, stats.DurationSummary]:
    """Everything from the records, in one query: one sort per span."""
    names = {name: f"_duration_{name}" for name in spans}
    queryset = queryset.annotate(
        **{names[name]: _duration(end, start) for name, (end, start) in spans.items()}
    )
    aggregates = {}
    for name in spans:
        column = names[name]
        valid = Q(**{f"{column}__gte": timedelta(0)})
        aggregates[f"{name}__n"] = Count("pk", filter=valid)
        aggregates[f"{name}__quantiles"] = _PercentileCont(column, _QUANTILES, filter=valid)
        for index in range(len(stats.DURATION_BINS)):
            aggregates[f"{name}__bin{index}"] = Count("pk", filter=_in_bin(column, index))
    row = queryset.aggregate(**aggregates)
    result = {}
    for name in spans:
        median, p90 = row[f"{name}__quantiles"] or (None, None)
        result[name] = stats.duration_summary_from_parts(
            n=row[f"{name}__n"],
            median=_seconds(median),
            p90=_seconds(p90),
            counts=[row[f"{name}__bin{i}"] for i in range(len(stats.DURATION_BINS))],
        )
    return result


def _from_rank_buckets(queryset, spans, plan: Plan, filters) -> dict[str, stats.DurationSummary]:
    """PostgreSQL, exact, without sorting the period: the rolled months' counts by rank
    bucket come from the cells (`duration_ranks`), the rest of the period's are counted live
    by bucket; the bins are sums of buckets (`_bin_of`), and the buckets say which few
    incidents hold the ranks PERCENTILE_CONT interpolates between (`_quantiles`). 1 query for
    the cells, and 2 per span."""
    cells = plan.cells(
        ("duration_ranks",),
        filters,
        by=("key",),
        names=("current",),
        key_prefixes=[f"{name}:" for name in spans],
    )
    live = plan.live("current", incident_moment(), "is_private")
    result = {}
    for name, (end, start) in spans.items():
        buckets: dict[int, int] = {}
        for (_, key), found in cells.items():
            span, bucket = key.split(":")
            if span == name:
                buckets[int(bucket)] = buckets.get(int(bucket), 0) + found["current"]
        valid = queryset.annotate(_duration=_duration(end, start)).filter(
            _duration__gte=timedelta(0)
        )
        counted = (
            valid.filter(live)
            .values(_bucket=_RankBucket(F(end), F(start)))
            .annotate(_n=Count("pk"))
            .order_by()
        )
        for row in counted:
            buckets[row["_bucket"]] = buckets.get(row["_bucket"], 0) + row["_n"]
        n = sum(buckets.values())
        median, p90 = _quantiles(valid, end, start, buckets)
        if (median, p90) == (None, None) and n:
            # The records changed between the counts and the fetch (a concurrent write):
            # sort them all, as without cells.
            return _sorted_live(queryset, spans)
        bins = [0] * len(stats.DURATION_BINS)
        for bucket, count in buckets.items():
            bins[_bin_of(bucket)] += count
        result[name] = stats.duration_summary_from_parts(n=n, median=median, p90=p90, counts=bins)
    return result


def _bin_of(bucket: int) -> int:
    """The bin (stats.DURATION_BINS) of a rank bucket: the one holding its lower edge (every
    bin edge is a bucket edge, so a bucket never straddles two bins)."""
    low = RANK_EDGES[bucket - 1] if bucket > 0 else 0
    return next(i for i, (_, _, high) in enumerate(stats.DURATION_BINS) if low < high)


def _quantiles(valid, end: str, start: str, buckets: dict[int, int]) -> tuple:
    """The median and p90 (seconds) of the durations of `valid`, whose counts by rank bucket
    are `buckets`: exactly what PERCENTILE_CONT gives over all of them, from the incidents of
    the buckets that hold the ranks it interpolates between (1 query).

    PERCENTILE_CONT(q) over n sorted values takes the values at ranks floor(p) and floor(p)+1
    (0-based, p = q * (n - 1)) and interpolates at p - floor(p). Here the same aggregate runs
    over just those two values with that fraction, so the interval arithmetic, and so the
    result, is PostgreSQL's own. As buckets sort like durations, a value's rank among the
    buckets read is its rank overall less the incidents of the buckets skipped below it."""
    n = sum(buckets.values())
    order = sorted(buckets)
    below, running = {}, 0
    for bucket in order:
        below[bucket] = running
        running += buckets[bucket]

    def bucket_of(rank: int) -> int:
        return next(b for b in order if below[b] + buckets[b] > rank)

    wanted = []  # (fraction, rank) per quantile
    read: set[int] = {-1}  # no bucket: none holds a rank when n is 0 (still 1 query)
    for q in _QUANTILES:
        position = (n - 1) * q if n else 0.0
        low = math.floor(position)
        wanted.append((position - low, low))
        if n:
            read |= {bucket_of(low), bucket_of(min(low + 1, n - 1))}

    def rank_among_read(rank: int) -> int:
        if not n:
            return rank
        own = bucket_of(rank)
        skipped = sum(buckets[b] for b in order if b not in read and b < own)
        return rank - skipped + 1  # ROW_NUMBER() counts from 1

    durations = (
        valid.annotate(_rank_bucket=_RankBucket(F(end), F(start)))
        .filter(_rank_bucket__in=sorted(read))
        .values("_duration")
        .order_by()
    )
    inner, params = durations.query.sql_with_params()
    columns, arguments = [], []
    for fraction, low in wanted:
        first = rank_among_read(low)
        columns.append(
            "PERCENTILE_CONT(%s) WITHIN GROUP (ORDER BY d) FILTER (WHERE rn BETWEEN %s AND %s)"
        )
        arguments += [fraction, first, first + 1]
    sql = (
        f"SELECT {', '.join(columns)} FROM (SELECT d, ROW_NUMBER() OVER (ORDER BY d) AS rn "
        f"FROM ({inner}) AS durations (d)) AS ranked"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arguments, *params])
        found = cursor.fetchone()
    return tuple(_seconds(value) for value in found)


def duration_distributions(
    *, user, period: Period, filters: DashboardFilters, plan: Plan | None = None
) -> Durations:
    """Time to detect and to resolve for the incidents of the period (1 query, and 1 for the
    rollup cells on PostgreSQL)."""
    plan = (plan or Plan({"current": period}, user)).only("current")
    incidents = _incidents(user, filters).filter(_between(incident_moment(), period))
    summaries = _duration_summaries(
        incidents,
        {
            "detect": ("detected_at", "started_at"),
            "resolve": ("resolved_at", "started_at"),
        },
        plan=plan,
        filters=filters,
    )
    return Durations(time_to_detect=summaries["detect"], time_to_resolve=summaries["resolve"])
