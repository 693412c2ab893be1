"""What every selector counts, and the query blocks they share.

The five signals; the scope of each kind of record (the user's visibility, then the dashboard
filters, with the rules of incidents/scopes.py so the lists count the same); periods as
conditions on the moment each record sits at; and signal counts per kind of subject.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Q

from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan, _merge, _ranges_or
from dashboards.selectors.expressions import _MonthOf
from incidents.models import Incident, NearMiss, sees_every_incident, visible_incident_q
from incidents.scopes import (
    between,
    follow,
    incident_scope,
    near_miss_scope,
    signal_moments,
    signal_scope,
)
from incidents.signal_kinds import SIGNAL_KINDS

SIGNALS = tuple(SIGNAL_KINDS)
SIGNAL_LABELS = {key: kind.label for key, kind in SIGNAL_KINDS.items()}
# What "more" means for a measure (DOMAIN.md): bad for incidents, surprises, difficulties and
# ownership gaps; good for near-miss reports and survey learning, where more reporting and more
# learning are the goal. The verdicts are coloured by it.
MORE_IS_GOOD = frozenset({"near_misses", "learned_something"})


def _between(field: str, period: Period) -> Q:
    return between(field, start=period.start, end=period.end)


def _within(field: str, *periods: Period) -> Q:
    """field in any of the periods, as few ranges as possible: a cycle and the one before
    are one contiguous range, which an index scans once (an OR of ranges it may not)."""
    return _ranges_or(field, _merge((period.start, period.end) for period in periods))


def _incidents(user, filters: DashboardFilters):
    return Incident.objects.visible_to(user).filter(
        incident_scope(team=filters.team, system=filters.system, severity=filters.severity)
    )


def _near_misses(filters: DashboardFilters):
    return NearMiss.objects.filter(
        near_miss_scope(team=filters.team, system=filters.system, severity=filters.severity)
    )


def _signal_scope_q(user, filters: DashboardFilters, path: str = "") -> Q:
    """Visibility and filters for surprises, difficulties or ownership gaps at `path`.

    Visible as in `Signal.objects.visible_to`: a near miss's signal, or an incident's that the
    user may see. The filters are the signal lists' (incidents/scopes.py).
    """
    incident = follow(path, "incident")
    q = Q()
    if not sees_every_incident(user):
        q &= Q(**{f"{incident}__isnull": True}) | visible_incident_q(user, incident)
    return q & signal_scope(
        path, system=filters.system, severity=filters.severity, team=filters.team
    )


def _per_side(
    queryset,
    *,
    plan: Plan,
    keys: Sequence[str] = (),
    month: bool = False,
    path: str = "",
) -> dict[tuple, dict[str, int]]:
    """Signal counts counted live in each of the plan's windows, grouped by `keys` (and by the
    subject's month); the caller adds the plan's cells.

    One query per kind of subject (incident, near miss) instead of one query over both: a
    join on the subject's time range lets the database start from the subject's time index,
    where "incident in range OR near miss in range" forces a scan of the whole signal table.
    Rows returned are groups (months, categories, systems), never one per record.
    """
    result: dict[tuple, dict[str, int]] = {}
    privacy = (follow(path, "incident__is_private"), None)  # a near miss is never private
    for when, private in zip(signal_moments(path), privacy, strict=True):
        rows = queryset.filter(plan.live_any(when, private))
        group = list(keys)
        if month:
            rows = rows.annotate(_month=_MonthOf(when))
            group.append("_month")
        counts = {name: Count("pk", filter=plan.live(name, when, private)) for name in plan.windows}
        found = (
            [rows.aggregate(**counts)]
            if not group
            else rows.values(*group).annotate(**counts).order_by()
        )
        for row in found:
            key = tuple(row[name] for name in group)
            totals = result.setdefault(key, dict.fromkeys(plan.windows, 0))
            for name in plan.windows:
                totals[name] += row[name]
    return result
