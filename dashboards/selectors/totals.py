"""The state of the record now, all time, for /metrics: what Prometheus stores as series and
Grafana draws over time (api/metrics.py). Unlike the other selectors it takes no user and no
period: every incident counts, a private one too, since only counts leave this module, never
an incident's title or reference; and Prometheus itself keeps the history.

Per system: systems are labels, so their number is bounded (`SYSTEMS_LIMIT`, the systems with
the most incidents, then the most signals); the rest are summed under OTHER_SYSTEMS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Severity,
    Surprise,
)
from reviews.models import ActionItem, Review, follow_up_open_q, follow_up_overdue_q

SYSTEMS_LIMIT = 50
# Not a slug (slugs have no parentheses), so it never names a real system.
OTHER_SYSTEMS = "(other)"
NO_SYSTEM = ""


@dataclass(frozen=True)
class SystemTotals:
    system: str  # the slug, OTHER_SYSTEMS, or NO_SYSTEM for signals that name none
    incidents: int
    near_misses: int
    surprises: int
    difficulties: int


@dataclass(frozen=True)
class Totals:
    incidents: tuple[tuple[str, str, int], ...]  # (severity, status, count), every pair
    near_misses: int
    surprises: int
    difficulties_by_category: tuple[tuple[str, int], ...]  # every category
    open_ownership_gaps_by_kind: tuple[tuple[str, int], ...]  # every kind
    follow_ups_by_status: tuple[tuple[str, int], ...]  # every status
    follow_ups_overdue: int
    follow_ups_unowned: int  # open ones with no owner team
    reviews_by_status: tuple[tuple[str, int], ...]  # every status
    systems: tuple[SystemTotals, ...]


def current_totals(*, systems_limit: int = SYSTEMS_LIMIT) -> Totals:
    """Counts of everything recorded, in 9 queries whatever the size of the data."""
    incidents = Counter(
        {
            (row["severity"], row["status"]): row["n"]
            for row in Incident.objects.values("severity", "status")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    per_system = {
        "incidents": _by_system(IncidentSystem.objects, "incident"),
        "near_misses": _by_system(NearMiss.systems.through.objects, "nearmiss"),
        "surprises": _by_system(Surprise.objects, "pk"),
    }
    difficulties = list(
        Difficulty.objects.values("category", "system__slug").annotate(n=Count("pk")).order_by()
    )
    per_system["difficulties"] = Counter()
    by_category: Counter = Counter()
    for row in difficulties:
        by_category[row["category"]] += row["n"]
        per_system["difficulties"][row["system__slug"] or NO_SYSTEM] += row["n"]
    gaps = Counter(
        dict(
            OwnershipGap.objects.filter(resolved=False)
            .values_list("kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    statuses = ActionItem.Status.values
    follow_ups = ActionItem.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in statuses},
        overdue=Count("pk", filter=follow_up_overdue_q()),
        unowned=Count("pk", filter=follow_up_open_q() & Q(owner_team__isnull=True)),
    )
    reviews = Counter(dict(Review.objects.values_list("status").annotate(n=Count("pk")).order_by()))
    return Totals(
        incidents=tuple(
            (severity, status, incidents[(severity, status)])
            for severity in Severity.values
            for status in Incident.Status.values
        ),
        near_misses=NearMiss.objects.count(),
        surprises=sum(per_system["surprises"].values()),
        difficulties_by_category=tuple(
            (key, by_category[key]) for key in Difficulty.Category.values
        ),
        open_ownership_gaps_by_kind=tuple((key, gaps[key]) for key in OwnershipGap.Kind.values),
        follow_ups_by_status=tuple((status, follow_ups[status]) for status in statuses),
        follow_ups_overdue=follow_ups["overdue"],
        follow_ups_unowned=follow_ups["unowned"],
        reviews_by_status=tuple((status, reviews[status]) for status in Review.Status.values),
        systems=_bounded(per_system, systems_limit),
    )


def _by_system(manager, counted: str) -> Counter:
    """{system slug: count} (NO_SYSTEM for the rows that name none), one query."""
    rows = manager.values("system__slug").annotate(n=Count(counted, distinct=True)).order_by()
    return Counter({row["system__slug"] or NO_SYSTEM: row["n"] for row in rows})


def _bounded(per_system: dict[str, Counter], limit: int) -> tuple[SystemTotals, ...]:
    """The `limit` systems with the most incidents (then signals), the rest under OTHER."""
    slugs = set().union(*per_system.values()) - {NO_SYSTEM}
    ranked = sorted(
        slugs,
        key=lambda slug: (
            -per_system["incidents"][slug],
            -sum(counts[slug] for counts in per_system.values()),
            slug,
        ),
    )
    kept, rest = ranked[:limit], ranked[limit:]
    rows = [SystemTotals(slug, *(per_system[name][slug] for name in _NAMES)) for slug in kept]
    if rest:
        rows.append(
            SystemTotals(
                OTHER_SYSTEMS,
                *(sum(per_system[name][slug] for slug in rest) for name in _NAMES),
            )
        )
    if any(per_system[name][NO_SYSTEM] for name in _NAMES):
        rows.append(SystemTotals(NO_SYSTEM, *(per_system[name][NO_SYSTEM] for name in _NAMES)))
    return tuple(rows)


_NAMES = ("incidents", "near_misses", "surprises", "difficulties")
