"""The themes page: codebook themes ranked by the records carrying them, cycle against cycle."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.selectors.scope import (
    _between,
    _per_side,
    _signal_scope_q,
    _visible_incident_q,
    _within,
)
from incidents.models import Theme
from incidents.scopes import incident_moment, incident_scope


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

    @property
    def total(self) -> int:
        return self.incidents + self.surprises + self.difficulties

    @property
    def total_previous(self) -> int:
        return self.incidents_previous + self.surprises_previous + self.difficulties_previous

    @property
    def recurring(self) -> bool:
        """Carried by records in both cycles: the learning did not stop it coming back."""
        return self.total > 0 and self.total_previous > 0


def theme_rows(*, user, period: Period, filters: DashboardFilters) -> tuple[ThemeRow, ...]:
    """Codebook themes ranked by the incidents, surprises and difficulties carrying them this
    period (then by the previous period's total); 4 queries."""
    previous = period.previous()
    counts: dict[str, dict[int, dict]] = {}
    started = incident_moment("incident")
    incident_through = Theme.incidents.through.objects.filter(
        _visible_incident_q(user, "incident"),
        incident_scope(
            "incident", team=filters.team, system=filters.system, severity=filters.severity
        ),
        _within(started, period, previous),
    )
    counts["incidents"] = _theme_counts(
        incident_through, _between(started, period), _between(started, previous)
    )
    for name, through, path in (
        ("surprises", Theme.surprises.through, "surprise"),
        ("difficulties", Theme.difficulties.through, "difficulty"),
    ):
        grouped = _per_side(
            through.objects.filter(_signal_scope_q(user, filters, path)),
            windows={"current": period, "previous": previous},
            keys=("theme",),
            path=path,
        )
        counts[name] = {theme: found for (theme,), found in grouped.items()}
    rows = []
    for theme in Theme.objects.order_by("name"):  # one row per codebook entry
        found = {name: counts[name].get(theme.pk, {}) for name in counts}
        current = {name: found[name].get("current", 0) for name in counts}
        before = {f"{name}_previous": found[name].get("previous", 0) for name in counts}
        change = stats.rate_ratio_test(
            sum(current.values()), sum(before.values()), period.days, previous.days
        )
        rows.append(ThemeRow(slug=theme.slug, name=theme.name, change=change, **current, **before))
    rows.sort(key=lambda row: (-row.total, -row.total_previous, row.name))
    return tuple(rows)


def _theme_counts(queryset, current: Q, previous: Q) -> dict[int, dict]:
    return {
        row["theme"]: row
        for row in queryset.values("theme")
        .annotate(current=Count("pk", filter=current), previous=Count("pk", filter=previous))
        .order_by()
    }
