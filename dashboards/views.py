"""The dashboard pages: thin views over dashboards.selectors, charts from dashboards.charts.

Every page reads the same filter bar (period, team, system, severity). Numbers link to the
list pages with the same parameters (dashboards.links), so anyone can check what was counted.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from backups.status import backup_status
from dashboards import charts, selectors
from dashboards.forms import DashboardForm
from dashboards.links import list_url
from dashboards.periods import DashboardFilters, Period
from dashboards.stats import NO_CHANGE
from incidents.models import System
from incidents.signal_kinds import SIGNAL_KINDS
from reviews import rules

# Sortable columns of the systems table: query value -> (row attribute, label).
SYSTEM_SORTS = {
    "name": "name",
    "owner": "owner_team",
    "incidents": "incidents",
    "near_misses": "near_misses",
    "surprises": "surprises",
    "difficulties": "difficulties",
    "ownership_gaps": "ownership_gaps",
    "rate": "incidents",
    "previous": "incidents_previous",  # sorts the change column by the previous count
    "flag": "act_here",
    "deployments": "deployments",
    "per_change": "per_change",
    "change_failure_rate": "change_failure_rate",
}
TREND_LIST_VIEWS = {key: kind.list_view for key, kind in SIGNAL_KINDS.items()}


# The period someone chose last (`period`, `start`, `end`), kept in their session: the dashboards
# open on it again until they choose another. Team, system and severity are not kept: a filter
# that stays on without being asked for would hide records.
PERIOD_FIELDS = ("period", "start", "end")
REMEMBERED_PERIOD = "dashboard_period"


def _filter_bar(request: HttpRequest) -> tuple[DashboardForm, Period, DashboardFilters]:
    data = request.GET
    if any(data.get(name) for name in PERIOD_FIELDS):
        form = DashboardForm(data)
        form.is_valid()
        if not any(name in form.errors for name in PERIOD_FIELDS):
            request.session[REMEMBERED_PERIOD] = {
                name: data.get(name, "") for name in PERIOD_FIELDS
            }
    else:
        remembered = request.session.get(REMEMBERED_PERIOD)
        if remembered:
            data = data.copy()
            for name in PERIOD_FIELDS:
                data[name] = remembered.get(name, "")
        form = DashboardForm(data)
    return form, form.period_value(), form.filters_value()


def _trend_charts(trend: selectors.MonthlyTrend, filters: DashboardFilters) -> list[dict]:
    """A small line chart per signal, each with its data table (each month links to its list)."""
    labels = [f"{month:%b %Y}" for month in trend.months]
    short = [f"{month:%b}" for month in trend.months]
    result = []
    for name, values in trend.series().items():
        title = f"{selectors.SIGNAL_LABELS[name]} per month"
        rows = []
        for month, label, value in zip(trend.months, labels, values, strict=True):
            month_period = Period.month(month.year, month.month)
            url = list_url(TREND_LIST_VIEWS[name], period=month_period, filters=filters)
            rows.append((label, charts.link(value, url)))
        result.append(
            {
                "name": name,
                "label": selectors.SIGNAL_LABELS[name],
                "svg": charts.line_chart(
                    title=title, labels=short, series={title: values}, width=360, height=170
                ),
                "sparkline": charts.sparkline(values, title, labels=labels),
                "table": charts.data_table(
                    caption=f"{title}, last {len(values)} months",
                    headers=["Month", selectors.SIGNAL_LABELS[name]],
                    rows=rows,
                ),
            }
        )
    return result


def _duration_chart(summary, title: str) -> dict:
    return {
        "title": title,
        "summary": summary,
        "svg": charts.histogram(
            title=f"{title}: incidents per duration band (log scale)",
            bins=summary.log_histogram_bins,
            height=200,
        ),
        "table": charts.data_table(
            caption=f"{title}: incidents per duration band",
            headers=["Duration", "Incidents"],
            rows=summary.log_histogram_bins,
        ),
    }


def overview(request: HttpRequest) -> HttpResponse:
    form, period, filters = _filter_bar(request)
    user = request.user
    overview = selectors.dashboard_overview(user=user, period=period, filters=filters)
    summary, loop, durations = overview.summary, overview.learning_loop, overview.durations
    trend, systems = overview.trend, overview.systems
    act_here = sorted(
        (row for row in systems if row.act_here),
        key=lambda row: (-len(row.high_on), -row.incidents, row.name),
    )
    # "Did the systems we meant to act on last cycle surprise us less?"
    flagged_before = sorted(
        (row for row in systems if row.flagged_previously),
        key=lambda row: (-len(row.high_on_previous), row.name),
    )
    changes = [
        (name, getattr(summary, name))
        for name in selectors.SIGNALS
        if getattr(summary, name).verdict != NO_CHANGE
    ]
    categories = summary.difficulties_by_category
    category_chart = charts.bar_chart(
        title="Difficulties in understanding by category, this period",
        labels=[row.label for row in categories],
        values=[row.counts.current for row in categories],
        links=[
            list_url("incidents:difficulty_list", period=period, filters=filters, category=row.key)
            for row in categories
        ],
    )
    trends = _trend_charts(trend, filters)
    context = {
        "form": form,
        "period": period,
        "previous": summary.previous_period,
        "filters": filters,
        "summary": summary,
        "per_change": overview.changes,
        "loop": loop,
        "durations": [
            _duration_chart(durations.time_to_detect, "Time to detect"),
            _duration_chart(durations.time_to_resolve, "Time to resolve"),
        ],
        "trends": trends,
        "sparklines": {item["name"]: item["sparkline"] for item in trends},
        "category_chart": category_chart,
        "act_here": act_here,
        "flagged_before": flagged_before,
        "changes": changes,
        "high_rule": selectors.HIGH_RULE,
        "act_here_min": selectors.ACT_HERE_MIN_SIGNALS,
        "follow_ups_traceable": not (filters.system or filters.severity),
        "backup": backup_status() if rules.can_see_backup_status(user) else None,
    }
    return render(request, "dashboards/overview.html", context)


def systems(request: HttpRequest) -> HttpResponse:
    form, period, filters = _filter_bar(request)
    page = selectors.systems_page(user=request.user, period=period, filters=filters)
    rows = list(page.systems)
    sort = request.GET.get("sort", "-incidents")
    key = sort.removeprefix("-")
    if key not in SYSTEM_SORTS:
        sort, key = "-incidents", "incidents"
    attribute = SYSTEM_SORTS[key]
    rows.sort(key=lambda row: row.name)  # ties keep a stable, readable order
    rows.sort(key=lambda row: _sort_key(row, attribute), reverse=sort.startswith("-"))
    query = request.GET.copy()
    query.pop("sort", None)
    context = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "filters": filters,
        "rows": rows,
        "sort": sort,
        "query": query.urlencode(),
        "high_rule": selectors.HIGH_RULE,
        "flagged": sum(1 for row in rows if row.act_here),
        "per_days": selectors.PER_DAYS,
        "teams": page.teams,
    }
    return render(request, "dashboards/systems.html", context)


def _sort_key(row: selectors.SystemRow, attribute: str):
    if attribute == "act_here":  # flagged first, then by how many signals are high
        return (row.act_here, len(row.high_on), row.incidents)
    if attribute == "deployments":
        return row.changes.deployments
    if attribute in ("per_change", "change_failure_rate"):
        figure = (
            row.changes.per_100_deployments
            if attribute == "per_change"
            else row.changes.change_failure_rate
        )
        # A system without deployments has no rate per change: below every rate.
        return (figure.estimate is not None, figure.estimate or 0.0)
    value = getattr(row, attribute)
    if attribute in ("name", "owner_team"):
        return (value or "\uffff").lower()  # "no owner" sorts last going up
    return value


def system_detail(request: HttpRequest, slug: str) -> HttpResponse:
    form, period, filters = _filter_bar(request)
    system = get_object_or_404(System.objects.select_related("owner_team"), slug=slug)
    history = selectors.system_history(
        user=request.user, system=system, filters=filters, end=period.end_date
    )
    scoped = DashboardFilters(team=filters.team, system=system.slug, severity=filters.severity)
    context = {
        "form": form,
        "period": period,
        "filters": filters,
        "scoped": scoped,
        "system": system,
        "history": history,
        "trend_period": history.trend.period,
        "trends": _trend_charts(history.trend, scoped),
    }
    return render(request, "dashboards/system_detail.html", context)


def themes(request: HttpRequest) -> HttpResponse:
    form, period, filters = _filter_bar(request)
    rows = selectors.theme_rows(user=request.user, period=period, filters=filters)
    carried = [row for row in rows if row.total or row.total_previous]
    chart = charts.bar_chart(
        title="Records carrying each theme, this period",
        labels=[row.name for row in carried],
        values=[row.total for row in carried],
    )
    context = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "filters": filters,
        "rows": rows,
        "recurring": sum(1 for row in rows if row.recurring),
        "recurring_rule": selectors.RECURRING_RULE,
        "cycles": selectors.RECURRING_CYCLES,
        "chart": chart,
        "chart_table": charts.data_table(
            caption="Records carrying each theme",
            headers=["Theme", "This period", "Previous period"],
            rows=[(row.name, row.total, row.total_previous) for row in carried],
        ),
    }
    return render(request, "dashboards/themes.html", context)
