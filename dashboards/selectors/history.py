"""One system over time: every signal by month, its deployments and failure rates per change
by month, its recent incidents and near misses, and the open follow-ups of its incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.changes import PER_DEPLOYMENTS, _failed_privately, _failed_q
from dashboards.selectors.expressions import _as_date, _MonthOf
from dashboards.selectors.scope import _between, _incidents, _near_misses
from dashboards.selectors.trends import TREND_MONTHS, MonthlyTrend, monthly_trends
from incidents.days import utc_today
from incidents.models import Deployment, Incident, NearMiss, System
from incidents.scopes import deployment_moment, incident_moment, incident_scope, near_miss_moment
from reviews.models import ActionItem

LIST_LIMIT = 50  # rows of incidents / near misses on a system's page


@dataclass(frozen=True)
class MonthChanges:
    month: date  # the month's first day
    deployments: int
    failed_deployments: int
    incidents: int
    per_100_deployments: stats.RateEstimate
    change_failure_rate: stats.Proportion


@dataclass(frozen=True)
class SystemHistory:
    system: System
    trend: MonthlyTrend
    incidents: tuple[Incident, ...]  # most recent first, at most LIST_LIMIT
    near_misses: tuple[NearMiss, ...]
    open_follow_ups: tuple[ActionItem, ...]
    changes: tuple[MonthChanges, ...] = ()  # deployments and incidents by month


def _months_of_changes(
    *,
    user,
    system_slug: str,
    filters: DashboardFilters,
    window: Period,
    incidents_by_month: dict[date, int],
) -> tuple[MonthChanges, ...]:
    """One system's deployments, failed deployments and incidents by month (3 queries: whole
    months from the rollup cells; the incidents come from its trend)."""
    when = deployment_moment()
    plan = Plan({"window": window}, user)
    live = plan.live("window", when)
    rows = (
        Deployment.objects.production()
        .filter(live, system__slug=system_slug)
        .annotate(_month=_MonthOf(when))
        .values("_month")
        .annotate(n=Count("pk"), failed=Count("pk", filter=_failed_q(user, filters)))
        .order_by()
    )
    by_month = {_as_date(row["_month"]): dict(row) for row in rows}
    # In the months the cells answer, the failures only private incidents account for.
    in_cells = plan.rolled_q("window", deployment_moment("caused_by"))
    for _, deployed_at in _failed_privately(
        user, filters, in_cells & Q(caused_by__system__slug=system_slug), plan
    ):
        month = date(deployed_at.year, deployed_at.month, 1)
        counts = by_month.setdefault(month, {"n": 0, "failed": 0})
        counts["failed"] += 1
    system_filter = DashboardFilters(system=system_slug, severity=filters.severity)
    cells = [
        *plan.cells(("deployments",), system_filter, by=("month",), any_severity=True).items(),
        *plan.cells(("failed_deployments",), system_filter, by=("month",)).items(),
    ]
    for (measure, month), found in cells:
        counts = by_month.setdefault(_as_date(month), {"n": 0, "failed": 0})
        counts["n" if measure == "deployments" else "failed"] += found["window"]
    months = []
    for month in window.month_starts():
        found = by_month.get(month, {"n": 0, "failed": 0})
        incidents = incidents_by_month.get(month, 0)
        months.append(
            MonthChanges(
                month=month,
                deployments=found["n"],
                failed_deployments=found["failed"],
                incidents=incidents,
                per_100_deployments=stats.poisson_rate(incidents, found["n"], per=PER_DEPLOYMENTS),
                change_failure_rate=stats.proportion(found["failed"], found["n"]),
            )
        )
    return tuple(months)


def system_history(
    *,
    user,
    system: System,
    filters: DashboardFilters | None = None,
    months: int = TREND_MONTHS,
    end: date | None = None,
) -> SystemHistory:
    """One system over time: every signal by month, its deployments and failure rates per
    change by month, its recent incidents and near misses, and the open follow-ups of
    incidents that touched it (9 queries)."""
    filters = DashboardFilters(
        team=filters.team if filters else None,
        system=system.slug,
        severity=filters.severity if filters else None,
    )
    window = Period.months_ending(end or utc_today(), months)
    incidents = _incidents(user, filters).filter(_between(incident_moment(), window))
    near_misses = _near_misses(filters).filter(_between(near_miss_moment(), window))
    trend = monthly_trends(user=user, filters=filters, months=months, end=end)
    recent_incidents = tuple(incidents.order_by("-started_at")[:LIST_LIMIT])
    recent_near_misses = tuple(near_misses.order_by("-occurred_at")[:LIST_LIMIT])
    follow_ups = _open_follow_ups(user, system.slug)
    changes = _months_of_changes(
        user=user,
        system_slug=system.slug,
        filters=filters,
        window=window,
        incidents_by_month=dict(zip(trend.months, trend.incidents, strict=True)),
    )
    return SystemHistory(
        system=system,
        trend=trend,
        incidents=recent_incidents,
        near_misses=recent_near_misses,
        open_follow_ups=follow_ups,
        changes=changes,
    )


def _open_follow_ups(user, system_slug: str) -> tuple[ActionItem, ...]:
    """The first LIST_LIMIT open follow-ups of incidents that touched the system, by due date
    (one query per open status). Each status is read in the order of the (status, due_date)
    index and stops at LIST_LIMIT matches; one query over both statuses had to sort every
    open follow-up first."""
    found: list[ActionItem] = []
    for status in ActionItem.OPEN_STATUSES:
        found += (
            ActionItem.objects.visible_to(user)
            .filter(incident_scope("review__incident", system=system_slug), status=status)
            .select_related("review__incident", "owner_team")
            .order_by("due_date", "pk")[:LIST_LIMIT]
        )
    return tuple(sorted(found, key=_due_first)[:LIST_LIMIT])


def _due_first(item: ActionItem) -> tuple:
    # As order_by("due_date", "pk") does on both databases: no due date last.
    return (item.due_date is None, item.due_date or date.min, item.pk)
