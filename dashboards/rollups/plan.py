"""Reading a figure from the rollups: which months the cells answer, and what is counted live.

A selector counts named windows (this period, the previous one, the trend's months...). For
each window, a `Plan` says which of its whole months the cells hold (computed, and not marked
by a write since); the selector then counts live only the rest:
- the partial months at the window's edges, and months not computed or marked dirty;
- in the months the cells hold, the private incidents (and their signals, reviews, answers)
  the viewer may see, unless the viewer may see every incident: the private records have
  cells of their own, read only for such a viewer, so nobody learns of a private incident
  from the cells, and each viewer's figure is still exact.
and adds the cells' sums (`Plan.cells`). Under `live_only()` no month is rolled, every
condition below reduces to the plain window, and the selectors count as they always did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q, Subquery, Sum

from dashboards.models import ALL, ANY_SEVERITY, RollupCell, RollupMonth
from dashboards.periods import DashboardFilters, Period, _add_months
from incidents.days import utc_midnight
from incidents.derived import reading_derived
from incidents.models import DirtyMonth, System, Team, sees_every_incident

NEVER = Q(pk__isnull=True)  # a condition no row meets (an empty OR is not valid SQL)


def _ranges(field: str, ranges: Iterable[tuple[datetime, datetime]]) -> list[Q]:
    return [Q(**{f"{field}__gte": start, f"{field}__lt": end}) for start, end in ranges]


def _any(conditions: list[Q]) -> Q:
    """The disjunction, NEVER for none. Never `NEVER OR ...`: PostgreSQL cannot use an index
    for a disjunction with an arm it cannot use one for."""
    if not conditions:
        return NEVER
    found = conditions[0]
    for condition in conditions[1:]:
        found |= condition
    return found


def _ranges_or(field: str, ranges: Iterable[tuple[datetime, datetime]]) -> Q:
    return _any(_ranges(field, ranges))


def _merge(ranges: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _whole_months(period: Period) -> list[date]:
    """The calendar months that lie entirely inside the period."""
    first = period.start.date().replace(day=1)
    if utc_midnight(first) < period.start:
        first = _add_months(first, 1)
    months = []
    while utc_midnight(_add_months(first, 1)) <= period.end:
        months.append(first)
        first = _add_months(first, 1)
    return months


def _month_range(month: date) -> tuple[datetime, datetime]:
    return utc_midnight(month), utc_midnight(_add_months(month, 1))


class Plan:
    """The split between cells and live counting for some named windows, for one viewer
    (1 query)."""

    def __init__(self, windows: dict[str, Period], user):
        self.windows = windows
        # Such a viewer reads the private cells too: nothing is left to count live in the
        # rolled months. Anyone else reads the public cells only.
        self.private_cells = sees_every_incident(user)
        whole = {name: _whole_months(period) for name, period in windows.items()}
        candidates = sorted({month for months in whole.values() for month in months})
        usable: set[date] = set()
        if candidates and reading_derived():
            # Computed months that no write has marked since (a NULL mark: none is usable).
            marked = DirtyMonth.objects.filter(Q(month=OuterRef("month")) | Q(month=None))
            usable = set(
                RollupMonth.objects.filter(month__gte=candidates[0], month__lte=candidates[-1])
                .exclude(Exists(marked))
                .values_list("month", flat=True)
            )
        self.rolled = {
            name: tuple(month for month in months if month in usable)
            for name, months in whole.items()
        }

    def only(self, *names: str) -> Plan:
        """The same split for some of the windows: callers that share one page's plan agree
        on which months the cells answer, even if a refresh commits in between."""
        view = object.__new__(Plan)
        view.windows = {name: self.windows[name] for name in names}
        view.private_cells = self.private_cells
        view.rolled = {name: self.rolled[name] for name in names}
        return view

    @property
    def months(self) -> list[date]:
        """Every month some window reads from the cells."""
        return sorted({month for months in self.rolled.values() for month in months})

    def _live_ranges(self, name: str) -> list[tuple[datetime, datetime]]:
        period = self.windows[name]
        ranges, cursor = [], period.start
        for start, end in _merge(_month_range(month) for month in self.rolled[name]):
            if start > cursor:
                ranges.append((cursor, start))
            cursor = end
        if cursor < period.end:
            ranges.append((cursor, period.end))
        return ranges

    def live(self, name: str, when: str, private: str | None = None) -> Q:
        """The records of window `name` (placed by `when`) that are counted live: those
        outside the rolled months, and, when `private` names the record's privacy flag and
        the viewer does not read the private cells, the private ones inside them."""
        conditions = _ranges(when, self._live_ranges(name))
        if private and self.rolled[name] and not self.private_cells:
            rolled = _merge(_month_range(month) for month in self.rolled[name])
            conditions.append(_ranges_or(when, rolled) & Q(**{private: True}))
        return _any(conditions)

    def rolled_q(self, name: str, when: str) -> Q:
        """The records of window `name` in the months the cells answer."""
        return _ranges_or(when, _merge(_month_range(month) for month in self.rolled[name]))

    def in_cells(self, name: str, when: str, private: str | None = None) -> Q:
        """The records of window `name` that the cells this viewer reads count: those in the
        rolled months, less the private ones (`private` names the flag) for a viewer who
        reads only the public cells."""
        found = self.rolled_q(name, when)
        if private and not self.private_cells:
            found &= Q(**{private: False})
        return found

    def live_any(self, when: str, private: str | None = None, names: Sequence[str] = ()) -> Q:
        """Records counted live in any of the windows (all when `names` is empty): what a
        query restricts its rows to, as few ranges as possible."""
        names = names or tuple(self.windows)
        conditions = _ranges(when, _merge(r for name in names for r in self._live_ranges(name)))
        rolled = _merge(_month_range(m) for name in names for m in self.rolled[name])
        if private and rolled and not self.private_cells:
            conditions.append(_ranges_or(when, rolled) & Q(**{private: True}))
        return _any(conditions)

    def cells(
        self,
        measures: Sequence[str],
        filters: DashboardFilters,
        *,
        by: Sequence[str] = (),
        per_system: bool = False,
        per_team: bool = False,
        any_severity: bool = False,
        names: Sequence[str] = (),
        key_prefixes: Sequence[str] = (),
    ) -> dict[tuple, dict[str, int]]:
        """{(measure, *by values): {window: sum of the cells}} for the filters (1 query, also
        when no month is rolled, so a page costs the same queries whatever is rolled up),
        the private cells included for a viewer who may see every incident. `by` groups by
        "key", "month" and/or "private"; `per_system` gives
        every system's cells (system id as the last element of the key) instead of the
        filter's, `per_team` every team's; `any_severity` ignores the severity filter
        (deployments have none); `key_prefixes` reads only the keys that start with one of
        them."""
        names = names or tuple(self.windows)
        months = sorted({month for name in names for month in self.rolled[name]})
        # One window with its months in one run (the usual case): its sums need no month.
        by_month = "month" in by or len(names) > 1 or len(months) != _months_between(months)
        result: dict[tuple, dict[str, int]] = {}
        rows = RollupCell.objects.filter(
            measure__in=measures,
            # A range, not IN: an empty IN would skip the query (and make the count vary).
            month__gte=months[0] if months else date.max,
            month__lte=months[-1] if months else date.min,
            severity=ANY_SEVERITY if any_severity else (filters.severity or ANY_SEVERITY),
        )
        if not self.private_cells:
            rows = rows.filter(private=False)
        if key_prefixes:
            rows = rows.filter(_any([Q(key__startswith=prefix) for prefix in key_prefixes]))
        rows = rows.exclude(team=ALL) if per_team else rows.filter(team=_id(Team, filters.team))
        if per_system:
            rows = rows.exclude(system=ALL)
        else:
            rows = rows.filter(system=_id(System, filters.system))
        group = ["measure", *(["month"] if by_month else []), *(n for n in by if n != "month")]
        if per_system:
            group.append("system")
        if per_team:
            group.append("team")
        found = rows.values(*group).annotate(total=Sum("n")).order_by()
        in_window = {name: set(self.rolled[name]) for name in names}
        for row in found:
            key = tuple(
                row[name]
                for name in (
                    "measure",
                    *by,
                    *(["system"] if per_system else []),
                    *(["team"] if per_team else []),
                )
            )
            for name in names:
                if not by_month or row["month"] in in_window[name]:
                    counts = result.setdefault(key, dict.fromkeys(names, 0))
                    counts[name] += row["total"]
        return result


def _months_between(months: list[date]) -> int:
    """How many calendar months the first to the last of `months` span (0 for none)."""
    if not months:
        return 0
    first, last = months[0], months[-1]
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _id(model, slug: str | None):
    """The cell coordinate of a filter: ALL, or the row's id (as a subquery: no extra query;
    an unknown slug matches no cell, as it matches no record)."""
    if not slug:
        return ALL
    return Subquery(model.objects.filter(slug=slug).values("pk")[:1])
