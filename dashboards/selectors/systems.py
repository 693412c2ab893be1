"""The systems page: one row per system (each signal this cycle and the last, its failure
rates per change, and which systems to act on next cycle), and the table per team beside it.
One system's history is in `history`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.changes import (
    ChangeRates,
    TeamChangeRow,
    _deployments_by_system,
    _system_deployment_counts,
    _team_change_rows,
    change_rates_of,
)
from dashboards.selectors.scope import (
    SIGNALS,
    _per_side,
    _signal_scope_q,
)
from incidents.models import (
    Difficulty,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    visible_incident_q,
)
from incidents.scopes import (
    incident_moment,
    incident_scope,
    near_miss_moment,
    near_miss_scope,
    signal_moments,
)

PER_DAYS = 30  # failure rates are shown per 30 days

# "Act here next cycle": a system is HIGH on a signal when its count this period reaches the
# top quarter of all systems in the catalog (at least the top 3; ties included) AND is at
# least HIGH_MIN_COUNT; it is flagged when it is high on at least ACT_HERE_MIN_SIGNALS of the
# five signals. Plain ranks, not a statistical claim: a shortlist for the next cycle.
# Incidents are ranked per change where the exposure is known: a system that deploys five
# times as often is not five times as fragile. Systems that recorded deployments this period
# rank by incidents per 100 deployments among themselves, the others by count among
# themselves (a rate and a count cannot share one ranking).
HIGH_MIN_COUNT = 3
HIGH_TOP_SHARE = 0.25
HIGH_TOP_AT_LEAST = 3
ACT_HERE_MIN_SIGNALS = 3
HIGH_RULE = (
    "A system is high on a signal when its count this period reaches the top quarter of all "
    f"systems (at least the top {HIGH_TOP_AT_LEAST}, ties included) and is {HIGH_MIN_COUNT} "
    f"or more; it is flagged when it is high on {ACT_HERE_MIN_SIGNALS} or more of the five "
    "signals. Incidents rank per 100 deployments among the systems that recorded deployments, "
    "by count among the others."
)


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
    changes: ChangeRates  # failure rates per change (deployments as the exposure)
    near_misses_previous: int = 0
    surprises_previous: int = 0
    difficulties_previous: int = 0
    ownership_gaps_previous: int = 0
    high_on_previous: tuple[str, ...] = ()  # ... in the previous period

    @property
    def exposure_known(self) -> bool:
        """Deployments were recorded this period: the failure rate is per change."""
        return self.changes.exposure_known

    @property
    def denominator(self) -> str:
        """What the row's failure rate and verdict divide by, for labels."""
        return "per 100 deployments" if self.exposure_known else f"per {PER_DAYS} days"

    @property
    def rate(self) -> stats.RateEstimate:
        """The failure rate the row is ranked by: per change when known, else per 30 days."""
        return self.changes.per_100_deployments if self.exposure_known else self.failure_rate

    @property
    def verdict_change(self) -> stats.Comparison:
        """This cycle against the last, per change when both recorded deployments, else per
        day (see `compared_per_change`)."""
        return self.changes.change if self.changes.change is not None else self.change

    @property
    def compared_per_change(self) -> bool:
        return self.changes.change is not None

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


def system_rows(*, user, period: Period, filters: DashboardFilters) -> tuple[SystemRow, ...]:
    """One row per system for the period (see _system_rows)."""
    return _system_rows(user=user, period=period, filters=filters)


@dataclass(frozen=True)
class SystemsPage:
    systems: tuple[SystemRow, ...]
    teams: tuple[TeamChangeRow, ...]


def systems_page(*, user, period: Period, filters: DashboardFilters) -> SystemsPage:
    """The systems page in one call: the rows of `system_rows` and of `team_change_rows`,
    sharing their count of the systems' deployments."""
    plan = Plan({"current": period, "previous": period.previous()}, user)
    by_system = _deployments_by_system(user, period, filters, plan)
    return SystemsPage(
        systems=_system_rows(
            user=user, period=period, filters=filters, by_system=by_system, plan=plan
        ),
        teams=_team_change_rows(
            user=user, period=period, filters=filters, by_system=by_system, plan=plan
        ),
    )


def _system_rows(
    *,
    user,
    period: Period,
    filters: DashboardFilters,
    named: dict[str, dict[int, dict[str, int]]] | None = None,
    by_system: dict | None = None,
    plan: Plan | None = None,
) -> tuple[SystemRow, ...]:
    """One row per system for the period, with the previous period's incidents and the
    failure rates per change (16 queries).

    Rows: every system, or only the filtered system; with a team filter, the systems the team
    owns plus any system with records in the period. Whole months come from the rollup cells;
    `plan` is the page's, when the counts `named` were counted with it.
    """
    previous = period.previous()
    if plan is None:
        plan = Plan({"current": period, "previous": previous}, user)
    plan = plan.only("current", "previous")
    incidents_in_scope = Q(
        visible_incident_q(user, "incident"),
        incident_scope("incident", team=filters.team, severity=filters.severity),
    )
    started, private = incident_moment("incident"), "incident__is_private"
    incident_rows = list(
        IncidentSystem.objects.filter(incidents_in_scope, plan.live_any(started, private))
        .values("system")
        .annotate(
            current=Count("pk", filter=plan.live("current", started, private)),
            previous=Count("pk", filter=plan.live("previous", started, private)),
        )
        .order_by()
    )
    occurred = near_miss_moment("nearmiss")
    near_miss_rows = list(
        NearMiss.systems.through.objects.filter(
            near_miss_scope("nearmiss", team=filters.team, severity=filters.severity),
            plan.live_any(occurred),
        )
        .values("system")
        .annotate(
            current=Count("pk", filter=plan.live("current", occurred)),
            previous=Count("pk", filter=plan.live("previous", occurred)),
        )
        .order_by()
    )
    scope_without_system = DashboardFilters(team=filters.team, severity=filters.severity)
    # {signal: {"current" | "previous": {system id: count}}}
    counts = {
        name: {when: {row["system"]: row[when] for row in rows} for when in ("current", "previous")}
        for name, rows in (("incidents", incident_rows), ("near_misses", near_miss_rows))
    }
    for name, model in (
        ("surprises", Surprise),
        ("difficulties", Difficulty),
        ("ownership_gaps", OwnershipGap),
    ):
        counts[name] = _signal_counts_by_system(
            model,
            _signal_scope_q(user, scope_without_system),
            plan,
            named=named.get(name) if named is not None else None,
        )
    # Whole months from the cells: every system's, for the team and severity filtered on.
    for (measure, system), found in plan.cells(
        SIGNALS, scope_without_system, per_system=True
    ).items():
        for when in ("current", "previous"):
            found_by_system = counts[measure][when]
            found_by_system[system] = found_by_system.get(system, 0) + found[when]
    if by_system is None:
        by_system = _deployments_by_system(user, period, filters, plan)
    deployments = _system_deployment_counts(by_system)
    # All systems (one query): "high" ranks a system among the whole catalog, filtered or not.
    catalog = list(System.objects.select_related("owner_team").order_by("name"))
    systems = [system for system in catalog if system.slug == filters.system or not filters.system]
    high = {
        when: {name: _high_ids(counts[name][when], len(catalog)) for name in SIGNALS}
        for when in ("current", "previous")
    }
    for when in ("current", "previous"):
        exposure = {key: found[when] for key, found in deployments.items() if found[when]}
        high[when]["incidents"] = _high_incident_ids(
            counts["incidents"][when], exposure, [system.pk for system in catalog]
        )
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
        deployed = deployments.get(system.pk, {})
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
                changes=change_rates_of(
                    deployments=deployed.get("current", 0),
                    deployments_previous=deployed.get("previous", 0),
                    incidents=current,
                    incidents_previous=previous_count,
                    failed=deployed.get("failed", 0),
                    failed_previous=deployed.get("failed_previous", 0),
                ),
            )
        )
    return tuple(rows)


def _signal_counts_by_system(
    model,
    scope: Q,
    plan: Plan,
    named: dict[int, dict[str, int]] | None = None,
) -> dict[str, dict[int, int]]:
    """Signals per system counted live in the plan's windows, as the lists count them (4
    queries, 2 when the counts by named system come from the overview's shared scan): by the
    system a signal names, and, for signals naming none, by every system their incident or
    near miss touched. Returns {window: {system: n}}; the caller adds the cells."""
    if named is None:
        grouped = _per_side(
            model.objects.filter(scope, system__isnull=False), plan=plan, keys=("system",)
        )
        named = {system: found for (system,), found in grouped.items()}
    counts: dict[str, dict[int, int]] = {name: {} for name in plan.windows}
    for system, found in named.items():
        for name in plan.windows:
            counts[name][system] = found[name]
    # A signal has one subject, so only that subject's systems fan it out.
    unnamed = model.objects.filter(scope, system__isnull=True)
    for side, systems, private in zip(
        signal_moments(),
        ("incident__system_roles__system", "near_miss__systems"),
        ("incident__is_private", None),
        strict=True,
    ):
        rows = (
            unnamed.filter(plan.live_any(side, private), **{f"{systems}__isnull": False})
            .values(systems)
            .annotate(
                **{
                    name: Count("pk", filter=plan.live(name, side, private))
                    for name in plan.windows
                }
            )
            .order_by()
        )
        for row in rows:
            for name in plan.windows:
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


def _high_incident_ids(
    counts: dict[int, int], deployments: dict[int, int], catalog: list[int]
) -> set[int]:
    """Systems "high" on incidents (HIGH_RULE): those with deployments recorded ranked per
    100 deployments among themselves, the others by count among themselves."""
    exposed = [key for key in catalog if key in deployments]
    unexposed = [key for key in catalog if key not in deployments]
    high = _high_ids({key: counts.get(key, 0) for key in unexposed}, len(unexposed))
    enough = [key for key in exposed if counts.get(key, 0) >= HIGH_MIN_COUNT]
    if enough:
        rate = {key: counts[key] / deployments[key] for key in enough}
        ranked = sorted(rate.values(), reverse=True)
        top = max(HIGH_TOP_AT_LEAST, round(len(exposed) * HIGH_TOP_SHARE))
        threshold = ranked[min(top, len(ranked)) - 1]
        high |= {key for key in enough if rate[key] >= threshold}
    return high
