"""Monthly trends: each of the five signals by calendar month (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count

from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.expressions import _as_date, _MonthOf
from dashboards.selectors.scope import (
    SIGNALS,
    _incidents,
    _near_misses,
    _per_side,
    _signal_scope_q,
)
from incidents.days import utc_today
from incidents.models import Difficulty, OwnershipGap, Surprise
from incidents.scopes import incident_moment, near_miss_moment

TREND_MONTHS = 12


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


def _by_month(queryset, when: str, plan: Plan, private: str | None) -> dict[date, int]:
    rows = (
        queryset.filter(plan.live_any(when, private))
        .annotate(_month=_MonthOf(when))
        .values("_month")
        .annotate(n=Count("pk"))
        .order_by("_month")
    )
    return {_as_date(row["_month"]): row["n"] for row in rows}


def _trend(
    *,
    user,
    filters: DashboardFilters,
    months: int,
    end: date | None,
    signal_months: dict[str, dict[date, int]] | None = None,
    plan: Plan | None = None,
) -> MonthlyTrend:
    """The series: whole months from the rollup cells, the rest counted live (the signals'
    from `signal_months` when the overview counted them already)."""
    window = Period.months_ending(end or utc_today(), months)
    plan = plan.only("trend") if plan else Plan({"trend": window}, user)
    started, occurred = incident_moment(), near_miss_moment()
    series = {
        "incidents": _by_month(_incidents(user, filters), started, plan, "is_private"),
        "near_misses": _by_month(_near_misses(filters), occurred, plan, None),
    }
    measures = ["incidents", "near_misses"]
    if signal_months is None:
        signal_months = {}
        for name, model in (
            ("surprises", Surprise),
            ("difficulties", Difficulty),
            ("ownership_gaps", OwnershipGap),
        ):
            grouped = _per_side(
                model.objects.filter(_signal_scope_q(user, filters)), plan=plan, month=True
            )
            signal_months[name] = {}
            for (month,), counts in grouped.items():
                month = _as_date(month)
                signal_months[name][month] = signal_months[name].get(month, 0) + counts["trend"]
            measures.append(name)
    series.update(signal_months)
    for (measure, month), counts in plan.cells(measures, filters, by=("month",)).items():
        month = _as_date(month)
        series[measure][month] = series[measure].get(month, 0) + counts["trend"]
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
    default: the current month, included). 9 queries."""
    return _trend(user=user, filters=filters, months=months, end=end)
