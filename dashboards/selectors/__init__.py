"""Every aggregate the dashboards and the report API show: one place, so they never disagree.

Public interface, re-exported here so callers write `from dashboards import selectors` and
`selectors.dashboard_overview(...)` (all keyword-only; each returns frozen dataclasses of plain
values, no templates):

    period_comparison(*, user, period, filters) -> Summary
    learning_loop(*, user, period, filters, today=None) -> LearningLoop
    duration_distributions(*, user, period, filters) -> Durations
    monthly_trends(*, user, filters, months=12, end=None) -> MonthlyTrend
    dashboard_overview(*, user, period, filters, months=12) -> Overview (all of the above
        for one period, sharing scans: what the /dashboard/ page calls)
    system_rows(*, user, period, filters) -> tuple[SystemRow, ...] (with each system's
        failure rates per change, `SystemRow.changes`)
    system_history(*, user, system, filters=None, months=12, end=None) -> SystemHistory
    change_summary(*, user, period, filters) -> ChangeSummary (failure rates per change of
        everything the filters keep: deployments as the exposure)
    team_change_rows(*, user, period, filters) -> tuple[TeamChangeRow, ...]
    systems_page(*, user, period, filters) -> SystemsPage (system_rows and team_change_rows
        sharing a scan: what the /dashboard/systems/ page calls)
    theme_rows(*, user, period, filters) -> tuple[ThemeRow, ...]
    current_totals(*, systems_limit=50) -> Totals (everything recorded, now, for /metrics:
        no user, no period; counts only, private incidents included)

and the constants the pages show with them (SIGNALS, SIGNAL_LABELS, HIGH_RULE, ...). Names
with a leading underscore in the modules below are shared inside this package only.

`period` is a dashboards.periods.Period; the comparison is always against `period.previous()`.
`filters` is a dashboards.periods.DashboardFilters. Semantics are the list-page filters', with
the rules of incidents/scopes.py:
- incidents are placed in a period by started_at, near misses by occurred_at, and a surprise,
  difficulty or ownership gap by the time of its incident or near miss;
- `team`: incidents that involve the team or touch a system it owns; near misses that touch
  a system it owns; signals whose incident or near miss matches; follow-ups owned by it;
- `system`: incidents and near misses that touch it; signals about it (they name it, or name
  no system and their incident or near miss touched it); follow-ups of incidents that touch it;
- `severity`: the incident's severity; a near miss's potential severity; a signal's subject's.
- Private incidents, and what hangs off them, count only for users who may see them
  (`Incident.objects.visible_to(user)` is the base of every query); a deployment counts as
  failed only for those who may see an incident that names it as its cause;
- deployments: production ones, placed by deployed_at; `team`: those of its systems;
  `system`: that system's; `severity` is the severity of the incidents they caused.

Performance: every function runs a fixed number of queries whatever the data size, and each
aggregates in the database (GROUP BY, conditional COUNT ... FILTER, EXISTS). Python only
touches aggregated rows (one per month, system, category or theme), never one per record.
Whole months come from the monthly rollup cells (dashboards/rollups/, docs/rollups.md): a
`Plan` says which months of each window the cells answer, the selectors count live only the
rest (partial months, months a write marked, the private incidents the viewer may see) and
add the cells. Under `dashboards.rollups.live_only()` they count everything live: the
reference the rollups are checked against.

Modules, by page section: summary (the period comparison), learning_loop, durations, trends,
systems (the systems table), history (one system over time), changes (failure rates per
change) and exposure (the incidents behind them),
themes, overview (the overview page in one call); scope (what they all count, and how) and
expressions (database functions) are shared by them.
"""

from dashboards.selectors.changes import (
    PER_DEPLOYMENTS,
    ChangeRates,
    ChangeSummary,
    TeamChangeRow,
    change_rates_of,
    change_summary,
    team_change_rows,
)
from dashboards.selectors.durations import Durations, duration_distributions
from dashboards.selectors.history import LIST_LIMIT, MonthChanges, SystemHistory, system_history
from dashboards.selectors.learning_loop import LearningLoop, learning_loop
from dashboards.selectors.overview import Overview, dashboard_overview
from dashboards.selectors.scope import MORE_IS_GOOD, SIGNAL_LABELS, SIGNALS
from dashboards.selectors.summary import (
    CategoryCount,
    CountComparison,
    KindCount,
    Ratio,
    ShareComparison,
    Summary,
    UnownedSystem,
    period_comparison,
)
from dashboards.selectors.systems import (
    ACT_HERE_MIN_SIGNALS,
    HIGH_MIN_COUNT,
    HIGH_RULE,
    HIGH_TOP_AT_LEAST,
    HIGH_TOP_SHARE,
    PER_DAYS,
    SystemRow,
    SystemsPage,
    system_rows,
    systems_page,
)
from dashboards.selectors.themes import (
    RECURRING_CYCLES,
    RECURRING_MIN_CYCLES,
    RECURRING_RULE,
    ThemeRow,
    theme_rows,
)
from dashboards.selectors.totals import (
    OTHER_SYSTEMS,
    SYSTEMS_LIMIT,
    SystemTotals,
    Totals,
    current_totals,
)
from dashboards.selectors.trends import TREND_MONTHS, MonthlyTrend, monthly_trends

__all__ = [
    "ACT_HERE_MIN_SIGNALS",
    "HIGH_MIN_COUNT",
    "HIGH_RULE",
    "HIGH_TOP_AT_LEAST",
    "HIGH_TOP_SHARE",
    "LIST_LIMIT",
    "MORE_IS_GOOD",
    "OTHER_SYSTEMS",
    "PER_DAYS",
    "PER_DEPLOYMENTS",
    "RECURRING_CYCLES",
    "RECURRING_MIN_CYCLES",
    "RECURRING_RULE",
    "SIGNALS",
    "SIGNAL_LABELS",
    "SYSTEMS_LIMIT",
    "TREND_MONTHS",
    "CategoryCount",
    "ChangeRates",
    "ChangeSummary",
    "CountComparison",
    "Durations",
    "KindCount",
    "LearningLoop",
    "MonthChanges",
    "MonthlyTrend",
    "Overview",
    "Ratio",
    "ShareComparison",
    "Summary",
    "SystemHistory",
    "SystemRow",
    "SystemTotals",
    "SystemsPage",
    "TeamChangeRow",
    "ThemeRow",
    "Totals",
    "UnownedSystem",
    "change_rates_of",
    "change_summary",
    "current_totals",
    "dashboard_overview",
    "duration_distributions",
    "learning_loop",
    "monthly_trends",
    "period_comparison",
    "system_history",
    "system_rows",
    "systems_page",
    "team_change_rows",
    "theme_rows",
]
