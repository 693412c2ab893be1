"""Durations: time to detect and to resolve, and the median/p90/bins summary of any span.

The summary is computed in the database on PostgreSQL; SQLite has no percentile aggregate, so
there only the seconds come back and Python summarises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.expressions import _PercentileCont, _SqliteSeconds
from dashboards.selectors.scope import _between, _incidents
from incidents.scopes import incident_moment


@dataclass(frozen=True)
class Durations:
    """Time to detect (started -> detected) and to resolve (started -> resolved), seconds."""

    time_to_detect: stats.DurationSummary
    time_to_resolve: stats.DurationSummary


def _duration_summaries(
    queryset,
    spans: dict[str, tuple[str, str]],
    *,
    plan: Plan | None = None,
    filters: DashboardFilters | None = None,
) -> dict[str, stats.DurationSummary]:
    """Median, p90, n and log-scale bins of each span (end field, start field) of the
    incidents of `queryset` (those of the plan's "current" window).

    One query either way. On PostgreSQL the database computes everything (PERCENTILE_CONT,
    one sort per span, and a COUNT ... FILTER per bin), so only one row comes back whatever
    the data size. The bins of the months the rollup cells hold come from the cells (measure
    `durations`, kept for the pages without a team or system filter): only the median and
    p90 then read every incident of the period. SQLite has no percentile aggregate: there we
    fetch only the durations, in seconds (one row per incident of the period), and summarise
    them in Python with stats.duration_summary; the benchmark shows what that costs.
    Negative durations (bad data) and missing timestamps are left out.
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

    cells = {}
    binned_live = Q()  # the incidents whose bins are counted live: all, without cells
    if plan is not None and filters is not None and not (filters.team or filters.system):
        cells = plan.cells(("durations",), filters, by=("key",), names=("current",))
        binned_live = plan.live("current", incident_moment(), "is_private")
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
        aggregates[f"{name}__quantiles"] = _PercentileCont(column, (0.5, 0.9), filter=valid)
        for index, (_, low, high) in enumerate(stats.DURATION_BINS):
            in_bin = Q(**{f"{column}__gte": timedelta(seconds=low)})
            if high != float("inf"):
                in_bin &= Q(**{f"{column}__lt": timedelta(seconds=high)})
            aggregates[f"{name}__bin{index}"] = Count("pk", filter=binned_live & in_bin)
    row = queryset.aggregate(**aggregates)
    result = {}
    for name in spans:
        median, p90 = row[f"{name}__quantiles"] or (None, None)
        counts = [row[f"{name}__bin{i}"] for i in range(len(stats.DURATION_BINS))]
        for (_, key), found in cells.items():
            span, index = key.split(":")
            if span == name:
                counts[int(index)] += found["current"]
        result[name] = stats.duration_summary_from_parts(
            n=row[f"{name}__n"],
            median=median.total_seconds() if median is not None else None,
            p90=p90.total_seconds() if p90 is not None else None,
            counts=counts,
        )
    return result


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
