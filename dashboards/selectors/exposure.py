"""The numerator of a failure rate per change beyond one system: the incidents that touched a
system (of the team, or any) which recorded a production deployment in the same period.

"Touched a deployed system" depends on which systems deployed in the period, so no monthly
cell can hold it. It is counted as A - B: A, the incidents that touched any system (of the
team), comes from the rollup cells (`incidents_touching`) plus the live rest; B, those whose
touched systems (of the team) all recorded no deployment, is counted live from the systems
without deployments, usually none or few, so it reads few rows.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import NEVER, Plan
from dashboards.selectors.scope import _between, _incidents, _within
from incidents.models import IncidentSystem, System, visible_incident_q
from incidents.scopes import incident_has_severity, incident_moment


def _in(field: str, ids) -> Q:
    """field among ids; never true for none (an empty IN is not valid SQL)."""
    return Q(**{f"{field}__in": sorted(ids)}) if ids else NEVER


def exposed_incidents(
    *, user, plan: Plan, filters: DashboardFilters, deployed: dict[str, set[int]]
) -> dict[str, int]:
    """{window: incidents} that touched a deployed system, of the team filtered on or of any
    (no system filter: with one, the caller counts that system's incidents). 3 or 4 queries."""
    team, started = filters.team, incident_moment()
    touching = IncidentSystem.objects.filter(incident=OuterRef("pk"))
    if team:
        touching = touching.filter(system__owner_team__slug=team)
    live = (
        _incidents(user, filters)
        .filter(plan.live_any(started, "is_private"))
        .aggregate(
            **{
                name: Count(
                    "pk", filter=plan.live(name, started, "is_private") & Q(Exists(touching))
                )
                for name in plan.windows
            }
        )
    )
    for (_,), found in plan.cells(("incidents_touching",), filters).items():
        for name in plan.windows:
            live[name] += found[name]
    candidates = System.objects.all()
    if team:
        candidates = candidates.filter(owner_team__slug=team)
    systems = set(candidates.values_list("pk", flat=True))
    idle = {name: systems - deployed[name] for name in plan.windows}
    if any(idle.values()):

        def touches(ids) -> Q:
            return Q(
                Exists(IncidentSystem.objects.filter(_in("system", ids), incident=OuterRef("pk")))
            )

        only_idle = (
            _incidents(user, DashboardFilters(severity=filters.severity))
            .filter(_within(started, *plan.windows.values()), touches(set().union(*idle.values())))
            .aggregate(
                **{
                    name: Count(
                        "pk",
                        filter=_between(started, window)
                        & touches(idle[name])
                        & ~touches(deployed[name] & systems),
                    )
                    for name, window in plan.windows.items()
                }
            )
        )
        for name in plan.windows:
            live[name] -= only_idle[name]
    return live


def exposed_incidents_by_team(
    *, user, plan: Plan, filters: DashboardFilters, deployed: dict[str, set[int]]
) -> dict[int, dict[str, int]]:
    """{team id: {window: incidents}} that touched a deployed system the team owns (no
    system filter). 3 or 4 queries."""
    started, private, owner = (
        incident_moment("incident"),
        "incident__is_private",
        "system__owner_team",
    )
    rows = IncidentSystem.objects.filter(
        visible_incident_q(user, "incident"), **{f"{owner}__isnull": False}
    )
    if filters.severity:
        rows = rows.filter(incident_has_severity(filters.severity, "incident"))
    counts: dict[int, dict[str, int]] = {}

    def add(team: int, name: str, n: int) -> None:
        found = counts.setdefault(team, dict.fromkeys(plan.windows, 0))
        found[name] += n

    # An incident that touches two of a team's systems is one incident of the team.
    for row in (
        rows.filter(plan.live_any(started, private))
        .values(owner)
        .annotate(
            **{
                name: Count("incident", distinct=True, filter=plan.live(name, started, private))
                for name in plan.windows
            }
        )
        .order_by()
    ):
        for name in plan.windows:
            add(row[owner], name, row[name])
    severity_only = DashboardFilters(severity=filters.severity)
    for (_, team), found in plan.cells(
        ("incidents_touching",), severity_only, per_team=True
    ).items():
        for name in plan.windows:
            add(team, name, found[name])
    owned = set(System.objects.filter(owner_team__isnull=False).values_list("pk", flat=True))
    idle = {name: owned - deployed[name] for name in plan.windows}
    if any(idle.values()):
        same_team_deployed = {
            name: IncidentSystem.objects.filter(
                _in("system", deployed[name]),
                incident=OuterRef("incident"),
                system__owner_team=OuterRef(owner),
            )
            for name in plan.windows
        }
        only_idle = (
            rows.filter(
                _within(started, *plan.windows.values()), _in("system", set().union(*idle.values()))
            )
            .values(owner)
            .annotate(
                **{
                    name: Count(
                        "incident",
                        distinct=True,
                        filter=_between(started, window)
                        & _in("system", idle[name])
                        & ~Q(Exists(same_team_deployed[name])),
                    )
                    for name, window in plan.windows.items()
                }
            )
            .order_by()
        )
        for row in only_idle:
            for name in plan.windows:
                add(row[owner], name, -row[name])
    return counts


def system_incidents_by_team(
    *, user, period: Period, filters: DashboardFilters, deployed: dict[str, set[int]]
) -> dict[int, dict[str, int]]:
    """With a system filter: that system's incidents, for its owner, in the periods it
    deployed (1 query, live: one system's incidents are few)."""
    previous = period.previous()
    started = incident_moment("incident")
    owner = "system__owner_team"
    touched = IncidentSystem.objects.filter(
        visible_incident_q(user, "incident"),
        _within(started, period, previous),
        _in("system", sorted(deployed["current"] | deployed["previous"])),
        **{f"{owner}__isnull": False},
    )
    if filters.severity:
        touched = touched.filter(incident_has_severity(filters.severity, "incident"))
    return {
        row[owner]: row
        for row in touched.values(owner)
        .annotate(
            current=Count(
                "incident",
                distinct=True,
                filter=_between(started, period) & _in("system", sorted(deployed["current"])),
            ),
            previous=Count(
                "incident",
                distinct=True,
                filter=_between(started, previous) & _in("system", sorted(deployed["previous"])),
            ),
        )
        .order_by()
    }
