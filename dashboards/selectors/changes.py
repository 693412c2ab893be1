"""Failure rates per change: deployments as the exposure behind a failure rate (DOMAIN.md,
"Exposure").

Failures per 30 days mostly measure how busy a system is. Where production deployments are
recorded, a failure rate is incidents per 100 deployments (a Garwood 95% interval on the
incidents, divided by the deployments), the change failure rate is the share of deployments
that an incident names as its cause (Wilson 95%), and the cycle comparison is the conditional
binomial rate-ratio test with deployments as the exposure. Every figure says which
denominator it uses: `ChangeRates.exposure_known` is False when no deployment was recorded,
and the pages then show the rate per 30 days instead, labelled.

What counts:
- deployments: those to production (`Deployment.objects.production()`), whatever their
  outcome, placed by `deployed_at`; a team's are those of the systems it owns;
- failed deployments: those named as the cause (`Incident.caused_by`) of an incident the
  viewer may see, of the severity filtered on (when the incident started does not matter:
  the deployment is placed by when it happened). Someone who may not see a private incident
  sees its deployment as one that caused nothing, as the rest of the dashboards count it;
- incidents: for one system, its incidents as the systems table counts them; for a team or
  the organisation, those that touch a system (the team's) that recorded a production
  deployment in the same period: an incident of a system with no deployment recorded has no
  exposure to be divided by. The incident list's `deployed=yes` counts the same.

Comparing a change failure rate across cycles uses the same conditional test on the failed
deployments: when failures are a large share of deployments the binomial varies less than
the Poisson the test assumes, so the test is conservative then, never overconfident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan, _any
from dashboards.selectors.exposure import (
    exposed_incidents,
    exposed_incidents_by_team,
    system_incidents_by_team,
)
from dashboards.selectors.scope import _incidents
from incidents.models import PRODUCTION, Deployment, Incident, System, Team
from incidents.scopes import (
    deployment_caused_incident,
    deployment_moment,
    incident_has_severity,
    incident_moment,
)

PER_DEPLOYMENTS = 100  # incidents are shown per 100 deployments


@dataclass(frozen=True)
class ChangeRates:
    """Failure rates per change for one system, team or the organisation, this period and
    the previous one (see the module's docstring for what each count holds)."""

    deployments: int
    deployments_previous: int
    incidents: int
    incidents_previous: int
    failed_deployments: int
    failed_deployments_previous: int
    per_100_deployments: stats.RateEstimate  # Garwood 95%; estimate None without deployments
    per_100_deployments_previous: stats.RateEstimate
    change_failure_rate: stats.Proportion  # Wilson 95%; estimate None without deployments
    change_failure_rate_previous: stats.Proportion
    # Conditional binomial tests with deployments as the exposure, on the incidents and on
    # the failed deployments; None when either period recorded no deployment.
    change: stats.Comparison | None
    failure_change: stats.Comparison | None

    @property
    def exposure_known(self) -> bool:
        """Deployments were recorded this period: the rates are per change."""
        return self.deployments > 0

    @property
    def comparable(self) -> bool:
        """Both periods recorded deployments: the cycles compare per change."""
        return self.deployments > 0 and self.deployments_previous > 0


def change_rates_of(
    *,
    deployments: int,
    deployments_previous: int,
    incidents: int,
    incidents_previous: int,
    failed: int,
    failed_previous: int,
) -> ChangeRates:
    """The figures from the counts (pure: what every selector here, and the tests, call)."""
    comparable = deployments > 0 and deployments_previous > 0
    return ChangeRates(
        deployments=deployments,
        deployments_previous=deployments_previous,
        incidents=incidents,
        incidents_previous=incidents_previous,
        failed_deployments=failed,
        failed_deployments_previous=failed_previous,
        per_100_deployments=stats.poisson_rate(incidents, deployments, per=PER_DEPLOYMENTS),
        per_100_deployments_previous=stats.poisson_rate(
            incidents_previous, deployments_previous, per=PER_DEPLOYMENTS
        ),
        change_failure_rate=stats.proportion(failed, deployments),
        change_failure_rate_previous=stats.proportion(failed_previous, deployments_previous),
        change=stats.rate_ratio_test(
            incidents, incidents_previous, deployments, deployments_previous
        )
        if comparable
        else None,
        failure_change=stats.rate_ratio_test(
            failed, failed_previous, deployments, deployments_previous
        )
        if comparable
        else None,
    )


@dataclass(frozen=True)
class ChangeSummary:
    """The organisation's (or the filtered team's or system's) failure rates per change."""

    rates: ChangeRates
    # Incidents this period that a change triggered but name no deployment: they cannot be
    # counted as failed deployments, so the change failure rate may be higher than shown.
    changes_without_deployment: int
    # Incidents this period of systems that recorded no deployment: not in the per-change
    # rate (no exposure to divide by); they still count in the rate per 30 days.
    incidents_without_deployments: int


@dataclass(frozen=True)
class TeamChangeRow:
    slug: str
    name: str
    changes: ChangeRates


def _causing_incidents(user, filters: DashboardFilters):
    """The incidents whose cause makes a deployment failed: those the user may see, of the
    filtered severity."""
    incidents = Incident.objects.visible_to(user)
    if filters.severity:
        incidents = incidents.filter(incident_has_severity(filters.severity))
    return incidents


def _failed_q(user, filters: DashboardFilters) -> Q:
    """A deployment is failed when an incident the user may see (of the filtered severity)
    names it as its cause."""
    return deployment_caused_incident(_causing_incidents(user, filters))


@dataclass
class _Deployed:
    """One system's production deployments and failed ones, this period and the previous."""

    slug: str
    owner_team_slug: str | None
    owner_team: int | None
    current: int = 0
    previous: int = 0
    failed: int = 0
    failed_previous: int = 0


def _deployments_by_system(
    user, period: Period, filters: DashboardFilters, plan: Plan | None = None
) -> dict[int, _Deployed]:
    """{system id: _Deployed} of every system that deployed to production in either period
    (7 queries: the live deployments and failed ones, the private causes, the cells, the
    catalog). The system and
    team filters do not apply (`_scoped` does): a systems table counts every row's own
    system, and the systems page shares this scan with its teams."""
    previous = period.previous()
    plan = (plan or Plan({"current": period, "previous": previous}, user)).only(
        "current", "previous"
    )
    when = deployment_moment()
    counts: dict[int, dict[str, int]] = {}

    def add(system: int, name: str, n: int) -> None:
        if n:
            found = counts.setdefault(system, dict.fromkeys(_COUNTS, 0))
            found[name] += n

    for row in (
        Deployment.objects.production()
        .filter(plan.live_any(when))
        .values("system")
        .annotate(**{name: Count("pk", filter=plan.live(name, when)) for name in plan.windows})
        .order_by()
    ):
        add(row["system"], "current", row["current"])
        add(row["system"], "previous", row["previous"])
    # Failed ones counted from the incidents that name them: far fewer rows than asking of
    # every deployment whether an incident names it. Distinct: a deployment behind two
    # incidents failed once. In the months the cells answer, they count the deployments a
    # public incident names; a private one the viewer may see adds its deployment only if no
    # public incident (of the severity) names it too.
    moment = deployment_moment("caused_by")
    live = {name: plan.live(name, moment) for name in plan.windows}
    causing = (
        _causing_incidents(user, filters)
        .filter(plan.live_any(moment), caused_by__environment=PRODUCTION)
        .values("caused_by__system")
        .annotate(
            failed=Count("caused_by", distinct=True, filter=live["current"]),
            failed_previous=Count("caused_by", distinct=True, filter=live["previous"]),
        )
        .order_by()
    )
    for row in causing:
        add(row["caused_by__system"], "failed", row["failed"])
        add(row["caused_by__system"], "failed_previous", row["failed_previous"])
    # In the months the cells answer, they count the deployments a public incident names.
    rolled = [plan.rolled_q(name, moment) for name in plan.windows if plan.rolled[name]]
    for system, deployed_at in _failed_privately(user, filters, _any(rolled), plan):
        month = date(deployed_at.year, deployed_at.month, 1)
        for name, failed in (("current", "failed"), ("previous", "failed_previous")):
            if month in plan.rolled[name]:
                add(system, failed, 1)
    everything = DashboardFilters(severity=filters.severity)
    for (_, system), found in plan.cells(
        ("deployments",), everything, per_system=True, any_severity=True
    ).items():
        add(system, "current", found["current"])
        add(system, "previous", found["previous"])
    for (_, system), found in plan.cells(
        ("failed_deployments",), everything, per_system=True
    ).items():
        add(system, "failed", found["current"])
        add(system, "failed_previous", found["previous"])
    catalog = System.objects.filter(pk__in=list(counts) or [0]).values(
        "pk", "slug", "owner_team", "owner_team__slug"
    )
    return {
        row["pk"]: _Deployed(
            row["slug"], row["owner_team__slug"], row["owner_team"], **counts[row["pk"]]
        )
        for row in catalog
        # Only systems that deployed: a failed deployment is one of the deployments counted.
        if counts[row["pk"]]["current"] or counts[row["pk"]]["previous"]
    }


_COUNTS = ("current", "previous", "failed", "failed_previous")


def _failed_privately(
    user, filters: DashboardFilters, where: Q, plan: Plan
) -> list[tuple[int, datetime]]:
    """(system, deployed_at) of the production deployments that only private incidents the
    viewer may see name as their cause (of the filtered severity), among those the incidents
    meeting `where` name (2 queries; none for a viewer who reads the private cells, which
    hold them). The public rollup cells count the deployments a public incident names; these
    are what a viewer adds to them. Few rows: read them, then ask which are named publicly
    (a NOT EXISTS per row made PostgreSQL hash every public incident)."""
    if plan.private_cells:
        return []
    causes = set(
        _causing_incidents(user, filters)
        .filter(where, is_private=True, caused_by__isnull=False)
        .filter(caused_by__environment=PRODUCTION)
        .order_by()
        .values_list("caused_by", "caused_by__system", "caused_by__deployed_at")
    )
    public = Incident.objects.filter(
        is_private=False, caused_by__in=sorted({cause for cause, _, _ in causes}) or [0]
    )
    if filters.severity:
        public = public.filter(severity=filters.severity)
    named_publicly = set(public.values_list("caused_by", flat=True))
    return [(system, at) for cause, system, at in causes if cause not in named_publicly]


def _scoped(by_system: dict[int, _Deployed], filters: DashboardFilters) -> dict[int, _Deployed]:
    """The systems the filters keep: the system, the team's systems (`deployment_scope`)."""
    return {
        key: found
        for key, found in by_system.items()
        if (not filters.system or found.slug == filters.system)
        and (not filters.team or found.owner_team_slug == filters.team)
    }


def _sum(deployed: list[_Deployed]) -> dict[str, int]:
    names = ("current", "previous", "failed", "failed_previous")
    return {name: sum(getattr(item, name) for item in deployed) for name in names}


def change_summary(*, user, period: Period, filters: DashboardFilters) -> ChangeSummary:
    """Failure rates per change of everything the filters keep (about 10 queries)."""
    return _change_summary(user=user, period=period, filters=filters)


def _deployed(by_system: dict[int, _Deployed]) -> dict[str, set[int]]:
    return {
        name: {key for key, found in by_system.items() if getattr(found, name)}
        for name in ("current", "previous")
    }


def _change_summary(
    *,
    user,
    period: Period,
    filters: DashboardFilters,
    by_system: dict[int, _Deployed] | None = None,
    plan: Plan | None = None,
) -> ChangeSummary:
    """change_summary, from the systems' deployments when the caller counted them already."""
    previous = period.previous()
    plan = (plan or Plan({"current": period, "previous": previous}, user)).only(
        "current", "previous"
    )
    if by_system is None:
        by_system = _deployments_by_system(user, period, filters, plan)
    deployed = _deployed(by_system)
    by_system = _scoped(by_system, filters)
    started = incident_moment()
    unattributed = Q(triggered_by_change=True, caused_by__isnull=True)
    live = plan.live("current", started, "is_private")
    incidents = (
        _incidents(user, filters)
        .filter(plan.live_any(started, "is_private"))
        .aggregate(
            current=Count("pk", filter=live),
            previous=Count("pk", filter=plan.live("previous", started, "is_private")),
            unattributed=Count("pk", filter=live & unattributed),
        )
    )
    for (measure,), found in plan.cells(("incidents", "incidents_unattributed"), filters).items():
        if measure == "incidents":
            incidents["current"] += found["current"]
            incidents["previous"] += found["previous"]
        else:
            incidents["unattributed"] += found["current"]
    if filters.system:
        # One system: its incidents are exposed when it deployed (and is the team's).
        exposed = {
            name: incidents[name] if any(getattr(f, name) for f in by_system.values()) else 0
            for name in ("current", "previous")
        }
    else:
        exposed = exposed_incidents(user=user, plan=plan, filters=filters, deployed=deployed)
    deployments = _sum(list(by_system.values()))
    return ChangeSummary(
        rates=change_rates_of(
            deployments=deployments["current"],
            deployments_previous=deployments["previous"],
            incidents=exposed["current"],
            incidents_previous=exposed["previous"],
            failed=deployments["failed"],
            failed_previous=deployments["failed_previous"],
        ),
        changes_without_deployment=incidents["unattributed"],
        incidents_without_deployments=incidents["current"] - exposed["current"],
    )


def team_change_rows(
    *, user, period: Period, filters: DashboardFilters
) -> tuple[TeamChangeRow, ...]:
    """Failure rates per change of each team, by the systems it owns (about 10 queries): every
    team with the team filter's one alone; the system filter keeps that system's deployments
    and incidents."""
    return _team_change_rows(user=user, period=period, filters=filters)


def _team_change_rows(
    *,
    user,
    period: Period,
    filters: DashboardFilters,
    by_system: dict[int, _Deployed] | None = None,
    plan: Plan | None = None,
) -> tuple[TeamChangeRow, ...]:
    """team_change_rows, from the systems' deployments when the caller counted them already
    (`_deployments_by_system`: 5 queries fewer)."""
    previous = period.previous()
    plan = (plan or Plan({"current": period, "previous": previous}, user)).only(
        "current", "previous"
    )
    if by_system is None:
        by_system = _deployments_by_system(user, period, filters, plan)
    if filters.system:
        incidents = system_incidents_by_team(
            user=user,
            period=period,
            filters=filters,
            deployed=_deployed(_scoped(by_system, filters)),
        )
    else:
        incidents = exposed_incidents_by_team(
            user=user, plan=plan, filters=filters, deployed=_deployed(by_system)
        )
    by_system = _scoped(by_system, filters)
    teams = Team.objects.order_by("name")
    if filters.team:
        teams = teams.filter(slug=filters.team)
    empty = {"current": 0, "previous": 0}
    rows = []
    for team in teams:
        found = incidents.get(team.pk, empty)
        deployments = _sum([item for item in by_system.values() if item.owner_team == team.pk])
        rows.append(
            TeamChangeRow(
                slug=team.slug,
                name=team.name,
                changes=change_rates_of(
                    deployments=deployments["current"],
                    deployments_previous=deployments["previous"],
                    incidents=found["current"],
                    incidents_previous=found["previous"],
                    failed=deployments["failed"],
                    failed_previous=deployments["failed_previous"],
                ),
            )
        )
    return tuple(rows)


def _system_deployment_counts(by_system: dict[int, _Deployed]) -> dict:
    """{system id: counts} for the systems table: each row's own deployments."""
    return {
        key: {
            "current": found.current,
            "previous": found.previous,
            "failed": found.failed,
            "failed_previous": found.failed_previous,
        }
        for key, found in by_system.items()
    }
