"""The summary: the five signals this period against the previous one, with their intervals
and tests, the near-miss ratio, difficulties by category, open ownership gaps and the systems
nobody owns that incidents touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.expressions import _as_date
from dashboards.selectors.scope import (
    SIGNALS,
    _between,
    _incidents,
    _near_misses,
    _per_side,
    _signal_scope_q,
)
from incidents.models import (
    Difficulty,
    IncidentSystem,
    OwnershipGap,
    Surprise,
    System,
    visible_incident_q,
)
from incidents.scopes import incident_has_signal, incident_moment, incident_scope, near_miss_moment


@dataclass(frozen=True)
class CountComparison:
    """A count this period against the previous one, with a Garwood 95% interval on the
    current count and the conditional binomial rate-ratio test (exposure = days)."""

    current: int
    previous: int
    interval: tuple[float, float]
    comparison: stats.Comparison

    @property
    def verdict(self) -> str:
        return self.comparison.verdict

    @property
    def p_value(self) -> float:
        return self.comparison.p_value


@dataclass(frozen=True)
class ShareComparison:
    """A share (Wilson 95% intervals) this period against the previous, two-proportion test."""

    current: stats.Proportion
    previous: stats.Proportion
    comparison: stats.Comparison

    @property
    def verdict(self) -> str:
        return self.comparison.verdict

    @property
    def p_value(self) -> float:
        return self.comparison.p_value


@dataclass(frozen=True)
class Ratio:
    """numerator / denominator (near misses per incident), with a 95% interval.

    Conditional on the total, numerator ~ Binomial(total, r / (1 + r)); the Wilson interval
    on that share, mapped through p / (1 - p), bounds the ratio r. None when undefined.
    """

    numerator: int
    denominator: int
    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class CategoryCount:
    key: str
    label: str
    counts: CountComparison


@dataclass(frozen=True)
class KindCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class UnownedSystem:
    slug: str
    name: str
    incidents: int


@dataclass(frozen=True)
class Summary:
    period: Period
    previous_period: Period
    filters: DashboardFilters
    incidents: CountComparison
    # Of `incidents`, the private ones this user may see: the count differs between people.
    private_incidents: int
    private_incidents_previous: int
    near_misses: CountComparison
    near_miss_ratio: Ratio
    near_miss_ratio_previous: Ratio
    surprises: CountComparison
    incidents_with_surprise: ShareComparison
    difficulties: CountComparison
    difficulties_by_category: tuple[CategoryCount, ...]
    ownership_gaps: CountComparison
    open_ownership_gaps: int
    open_ownership_gaps_by_kind: tuple[KindCount, ...]
    unowned_systems: tuple[UnownedSystem, ...]

    @property
    def is_empty(self) -> bool:
        """Nothing recorded in either period: the page shows a "no data" state."""
        return not any(
            getattr(self, name).current or getattr(self, name).previous for name in SIGNALS
        )


def _counts(current: int, previous: int, period: Period, previous_period: Period):
    return CountComparison(
        current=current,
        previous=previous,
        interval=stats.garwood_interval(current),
        comparison=stats.rate_ratio_test(current, previous, period.days, previous_period.days),
    )


def _ratio(numerator: int, denominator: int) -> Ratio:
    if denominator == 0:
        return Ratio(numerator, denominator, None, None, None)
    lower, upper = stats.wilson_interval(numerator, numerator + denominator)
    return Ratio(
        numerator,
        denominator,
        numerator / denominator,
        lower / (1 - lower),
        upper / (1 - upper) if upper < 1 else None,  # None: unbounded above
    )


def period_comparison(*, user, period: Period, filters: DashboardFilters) -> Summary:
    """The five signals this period against the previous one (10 queries)."""
    return _summary(user=user, period=period, filters=filters)[0]


def _gap_key(key: str) -> tuple[str, bool]:
    kind, resolved = key.split(":")
    return kind, resolved == "1"


def _summary(
    *,
    user,
    period: Period,
    filters: DashboardFilters,
    trend: Period | None = None,
    plan: Plan | None = None,
) -> tuple[Summary, dict[str, dict[date, int]], dict[str, dict[int, dict[str, int]]]]:
    """The summary, and, when `trend` is given, from the same scans of the signal tables:
    each signal's monthly counts over `trend`, and the live part of this period's signals per
    system they name (the overview page needs all three). Whole months come from the rollup
    cells (`Plan`), the rest is counted live."""
    previous = period.previous()
    windows = {"current": period, "previous": previous}
    if trend is not None:
        windows["trend"] = trend
    plan = plan.only(*windows) if plan else Plan(windows, user)
    both = ("current", "previous")
    cells = plan.cells(
        (
            "incidents",
            "incidents_surprised",
            "near_misses",
            "surprises",
            "difficulties",
            "ownership_gaps",
        ),
        filters,
        by=("key", "month", "private"),
    )

    def from_cells(measure: str, name: str, private: bool | None = None) -> int:
        return sum(
            counts[name]
            for (found, _, _, found_private), counts in cells.items()
            if found == measure and (private is None or found_private == private)
        )

    started, occurred = incident_moment(), near_miss_moment()
    cur = plan.live("current", started, "is_private")
    prev = plan.live("previous", started, "is_private")
    has_surprise = incident_has_signal(Surprise)
    incidents = (
        _incidents(user, filters)
        .filter(plan.live_any(started, "is_private", both))
        .aggregate(
            current=Count("pk", filter=cur),
            previous=Count("pk", filter=prev),
            surprised=Count("pk", filter=cur & has_surprise),
            surprised_previous=Count("pk", filter=prev & has_surprise),
            private=Count("pk", filter=cur & Q(is_private=True)),
            private_previous=Count("pk", filter=prev & Q(is_private=True)),
        )
    )
    for name, measure, window in (
        ("current", "incidents", "current"),
        ("previous", "incidents", "previous"),
        ("surprised", "incidents_surprised", "current"),
        ("surprised_previous", "incidents_surprised", "previous"),
    ):
        incidents[name] += from_cells(measure, window)
    # The private incidents in the cells (only a viewer who may see every incident reads them).
    incidents["private"] += from_cells("incidents", "current", private=True)
    incidents["private_previous"] += from_cells("incidents", "previous", private=True)
    near_misses = (
        _near_misses(filters)
        .filter(plan.live_any(occurred, names=both))
        .aggregate(
            current=Count("pk", filter=plan.live("current", occurred)),
            previous=Count("pk", filter=plan.live("previous", occurred)),
        )
    )
    for name in both:
        near_misses[name] += from_cells("near_misses", name)
    months: dict[str, dict[date, int]] = {}
    named_systems: dict[str, dict[int, dict[str, int]]] = {}

    def signal_counts(name, model, key_of) -> dict:
        """{key: {"current": n, "previous": n}} of one signal, live and from the cells."""
        # For the overview, also by month (the trend) and by named system (the systems'
        # rows): one scan of the signal table serves all three.
        shared = trend is not None
        group_by = () if key_of is None else key_of
        grouped = _per_side(
            model.objects.filter(_signal_scope_q(user, filters)),
            plan=plan,
            keys=(*group_by, "system") if shared else group_by,
            month=shared,
        )
        merged: dict[tuple, dict] = {}
        by_month = months.setdefault(name, {})
        by_system = named_systems.setdefault(name, {})
        for key, counts in grouped.items():
            if shared:
                month, system, key = _as_date(key[-1]), key[-2], key[:-2]
                by_month[month] = by_month.get(month, 0) + counts["trend"]
                if system is not None:
                    found = by_system.setdefault(system, {"current": 0, "previous": 0})
                    found["current"] += counts["current"]
                    found["previous"] += counts["previous"]
            row = merged.setdefault(key, {"current": 0, "previous": 0})
            row["current"] += counts["current"]
            row["previous"] += counts["previous"]
        for (measure, cell_key, month, _), counts in cells.items():
            if measure != name:
                continue
            key = () if key_of is None else _cell_key(name, cell_key)
            row = merged.setdefault(key, {"current": 0, "previous": 0})
            row["current"] += counts["current"]
            row["previous"] += counts["previous"]
            if shared:
                month = _as_date(month)
                by_month[month] = by_month.get(month, 0) + counts["trend"]
        return merged

    surprises = signal_counts("surprises", Surprise, None).get((), {"current": 0, "previous": 0})
    by_category = {
        key[0]: row for key, row in signal_counts("difficulties", Difficulty, ("category",)).items()
    }
    gap_rows = signal_counts("ownership_gaps", OwnershipGap, ("kind", "resolved"))
    # Open gaps are counted from the current period's gaps that are still unresolved.
    open_by_kind: dict[str, int] = {}
    for (kind, resolved), row in gap_rows.items():
        if not resolved and row["current"]:
            open_by_kind[kind] = open_by_kind.get(kind, 0) + row["current"]
    unowned = _unowned_systems(user, None if filters.system else plan, period, filters)

    def total(rows, key):
        return sum(row[key] for row in rows)

    summary = Summary(
        period=period,
        previous_period=previous,
        filters=filters,
        incidents=_counts(incidents["current"], incidents["previous"], period, previous),
        private_incidents=incidents["private"],
        private_incidents_previous=incidents["private_previous"],
        near_misses=_counts(near_misses["current"], near_misses["previous"], period, previous),
        near_miss_ratio=_ratio(near_misses["current"], incidents["current"]),
        near_miss_ratio_previous=_ratio(near_misses["previous"], incidents["previous"]),
        surprises=_counts(surprises["current"], surprises["previous"], period, previous),
        incidents_with_surprise=ShareComparison(
            current=stats.proportion(incidents["surprised"], incidents["current"]),
            previous=stats.proportion(incidents["surprised_previous"], incidents["previous"]),
            comparison=stats.two_proportion_test(
                incidents["surprised"],
                incidents["current"],
                incidents["surprised_previous"],
                incidents["previous"],
            ),
        ),
        difficulties=_counts(
            total(by_category.values(), "current"),
            total(by_category.values(), "previous"),
            period,
            previous,
        ),
        difficulties_by_category=tuple(
            CategoryCount(
                key=key,
                label=label,
                counts=_counts(
                    by_category.get(key, {}).get("current", 0),
                    by_category.get(key, {}).get("previous", 0),
                    period,
                    previous,
                ),
            )
            for key, label in Difficulty.Category.choices
        ),
        ownership_gaps=_counts(
            total(gap_rows.values(), "current"),
            total(gap_rows.values(), "previous"),
            period,
            previous,
        ),
        open_ownership_gaps=sum(open_by_kind.values()),
        open_ownership_gaps_by_kind=tuple(
            KindCount(key, label, open_by_kind[key])
            for key, label in OwnershipGap.Kind.choices
            if open_by_kind.get(key)
        ),
        unowned_systems=unowned,
    )
    return summary, months, named_systems


def _cell_key(measure: str, key: str) -> tuple:
    """A cell's key as the live query's group: a category, or an ownership gap's (kind,
    resolved)."""
    if measure == "ownership_gaps":
        return _gap_key(key)
    return (key,)


def _unowned_systems(user, plan: Plan | None, period: Period, filters: DashboardFilters):
    """The systems nobody owns that the period's incidents touched, by incidents (3 queries
    with the plan's cells; with a system filter all live: a cell holds one system, and this
    counts incidents of two)."""
    started = incident_moment("incident")
    in_period = (
        plan.live("current", started, "incident__is_private") if plan else _between(started, period)
    )
    counts = {
        row["system"]: row["incidents"]
        for row in IncidentSystem.objects.filter(
            visible_incident_q(user, "incident"),
            in_period,
            incident_scope(
                "incident", team=filters.team, system=filters.system, severity=filters.severity
            ),
            system__owner_team__isnull=True,
        )
        .values("system")
        .annotate(incidents=Count("incident", distinct=True))
        .order_by()
    }
    if plan:
        for (_, system), found in plan.cells(
            ("incidents",), filters, per_system=True, names=("current",)
        ).items():
            counts[system] = counts.get(system, 0) + found["current"]
    unowned = [s for s in System.objects.filter(owner_team__isnull=True) if counts.get(s.pk)]
    return tuple(
        UnownedSystem(system.slug, system.name, counts[system.pk])
        for system in sorted(unowned, key=lambda system: (-counts[system.pk], system.name))
    )
