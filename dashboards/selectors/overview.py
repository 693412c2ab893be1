"""The overview page in one call: every section of /dashboard/ for one period, the summary,
the trends and the systems' rows sharing their scans of the signal tables."""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.changes import ChangeSummary, _change_summary, _deployments_by_system
from dashboards.selectors.durations import Durations, duration_distributions
from dashboards.selectors.learning_loop import LearningLoop, learning_loop
from dashboards.selectors.summary import Summary, _summary
from dashboards.selectors.systems import SystemRow, _system_rows
from dashboards.selectors.trends import TREND_MONTHS, MonthlyTrend, _trend


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows, from shared scans of the signal tables."""

    summary: Summary
    learning_loop: LearningLoop
    durations: Durations
    trend: MonthlyTrend
    systems: tuple[SystemRow, ...]
    changes: ChangeSummary


def dashboard_overview(
    *, user, period: Period, filters: DashboardFilters, months: int = TREND_MONTHS
) -> Overview:
    """The overview page in one call: the summary and the trends share their scans of the
    signal tables, so the same numbers cost fewer queries than calling each selector."""
    window = Period.months_ending(period.end_date, months)
    # One split between rollup cells and live counting for the whole page, so its sections
    # agree on it even if a refresh commits meanwhile.
    plan = Plan({"current": period, "previous": period.previous(), "trend": window}, user)
    summary, signal_months, named = _summary(
        user=user, period=period, filters=filters, trend=window, plan=plan
    )
    by_system = _deployments_by_system(user, period, filters, plan)  # rows and per change
    return Overview(
        summary=summary,
        learning_loop=learning_loop(user=user, period=period, filters=filters),
        durations=duration_distributions(user=user, period=period, filters=filters, plan=plan),
        trend=_trend(
            user=user,
            filters=filters,
            months=months,
            end=period.end_date,
            signal_months=signal_months,
            plan=plan,
        ),
        # With a system filter the shared scan only saw that system, but "high" ranks a
        # system among all of them: then the rows count for themselves.
        systems=_system_rows(
            user=user,
            period=period,
            filters=filters,
            named=None if filters.system else named,
            by_system=by_system,
            plan=plan,
        ),
        changes=_change_summary(
            user=user, period=period, filters=filters, by_system=by_system, plan=plan
        ),
    )
