"""The themes page: codebook themes ranked by the records carrying them, cycle against cycle."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.scope import (
    _per_side,
    _signal_scope_q,
)
from incidents.models import Theme, visible_incident_q
from incidents.scopes import incident_moment, incident_scope

# A theme recurs when it is carried this cycle and in at least two of the three cycles before:
# it keeps coming back, cycle after cycle, however much was learned. "Carried in this cycle and
# the last" flags nearly every theme of a busy codebook, and a theme seen once a year is not a
# pattern; this separates the two.
RECURRING_CYCLES = 4
RECURRING_MIN_CYCLES = 3
RECURRING_RULE = (
    f"Recurring: carried in this cycle and in at least {RECURRING_MIN_CYCLES - 1} of the "
    f"{RECURRING_CYCLES - 1} cycles before it (cycles of the same length)."
)


def _cycles(period: Period, count: int) -> list[Period]:
    """`period` and the cycles before it, newest first: `count` of them, fewer when they would
    start before 1970 (the oldest date a dashboard period may have)."""
    cycles = [period]
    while len(cycles) < count:
        try:
            earlier = cycles[-1].previous()
        except (OverflowError, ValueError):
            break
        if earlier.start.year < 1970:
            break
        cycles.append(earlier)
    return cycles


@dataclass(frozen=True)
class ThemeRow:
    slug: str
    name: str
    incidents: int
    surprises: int
    difficulties: int
    incidents_previous: int
    surprises_previous: int
    difficulties_previous: int
    change: stats.Comparison  # total this period against the previous
    # Of this cycle and the RECURRING_CYCLES - 1 before it, how many carried the theme.
    cycles_seen: int

    @property
    def total(self) -> int:
        return self.incidents + self.surprises + self.difficulties

    @property
    def total_previous(self) -> int:
        return self.incidents_previous + self.surprises_previous + self.difficulties_previous

    @property
    def recurring(self) -> bool:
        """See RECURRING_RULE: the learning did not stop it coming back."""
        return self.total > 0 and self.cycles_seen >= RECURRING_MIN_CYCLES


def theme_rows(*, user, period: Period, filters: DashboardFilters) -> tuple[ThemeRow, ...]:
    """Codebook themes ranked by the incidents, surprises and difficulties carrying them this
    period (then by the previous period's total), with the cycles that carried each (7 queries:
    whole months from the rollup cells, the rest live)."""
    cycles = _cycles(period, RECURRING_CYCLES)
    previous = period.previous()
    # Named windows: "current", "previous", then the older cycles the recurrence looks at.
    windows = {"current": period, "previous": previous}
    windows.update({f"cycle{index}": cycle for index, cycle in enumerate(cycles) if index >= 2})
    plan = Plan(windows, user)
    counts: dict[str, dict[int, dict]] = {}
    started, private = incident_moment("incident"), "incident__is_private"
    incident_through = Theme.incidents.through.objects.filter(
        visible_incident_q(user, "incident"),
        incident_scope(
            "incident", team=filters.team, system=filters.system, severity=filters.severity
        ),
        plan.live_any(started, private),
    )
    counts["incidents"] = _theme_counts(incident_through, started, private, plan)
    for name, through, path in (
        ("surprises", Theme.surprises.through, "surprise"),
        ("difficulties", Theme.difficulties.through, "difficulty"),
    ):
        grouped = _per_side(
            through.objects.filter(_signal_scope_q(user, filters, path)),
            plan=plan,
            keys=("theme",),
            path=path,
        )
        counts[name] = {theme: found for (theme,), found in grouped.items()}
    # Whole months from the cells, keyed by the theme's id.
    for (measure, key), found in plan.cells(
        ("theme_incidents", "theme_surprises", "theme_difficulties"), filters, by=("key",)
    ).items():
        by_theme = counts[measure.removeprefix("theme_")].setdefault(
            int(key), dict.fromkeys(windows, 0)
        )
        for name in windows:
            by_theme[name] = by_theme.get(name, 0) + found[name]
    rows = []
    for theme in Theme.objects.order_by("name"):  # one row per codebook entry
        found = {name: counts[name].get(theme.pk, {}) for name in counts}
        current = {name: found[name].get("current", 0) for name in counts}
        before = {f"{name}_previous": found[name].get("previous", 0) for name in counts}
        change = stats.rate_ratio_test(
            sum(current.values()), sum(before.values()), period.days, previous.days
        )
        seen = sum(
            1
            for window in ("current", "previous", *list(windows)[2:])
            if any(found[name].get(window, 0) for name in counts)
        )
        rows.append(
            ThemeRow(
                slug=theme.slug,
                name=theme.name,
                change=change,
                cycles_seen=seen,
                **current,
                **before,
            )
        )
    rows.sort(key=lambda row: (-row.total, -row.total_previous, row.name))
    return tuple(rows)


def _theme_counts(queryset, moment: str, private: str, plan: Plan) -> dict[int, dict]:
    counts = {name: Count("pk", filter=plan.live(name, moment, private)) for name in plan.windows}
    return {row["theme"]: row for row in queryset.values("theme").annotate(**counts).order_by()}
