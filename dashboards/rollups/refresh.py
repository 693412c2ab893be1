"""Computing the cells: every month (`rebuild`), or the months writes marked (`refresh`); and
with them, under the same lock and in the same transaction, the review queue's stored cues
(`reviews.queue_store`), which the same marks keep exact.

Exactness does not depend on when this runs: a month a write touched is marked dirty by the
writing transaction itself (triggers, migration 0002) and counted live until it is recomputed.
This only decides how soon it is fast again. It runs after every request that may have written
(`RefreshRollupsMiddleware`), after the commands that write in bulk, and from
`manage.py rollups --refresh` (a CronJob in deploy/ can run it too).
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from dashboards.models import RollupCell, RollupMonth
from dashboards.periods import _add_months
from dashboards.rollups import cells
from incidents.days import utc_midnight
from incidents.models import Deployment, DirtyMonth, Incident, NearMiss
from reviews import queue_store

# Months computed per statement in a rebuild: bounds the size of each statement's grouping.
_MONTHS_PER_STATEMENT = 3
# Any constant: the key of the PostgreSQL advisory lock that serialises refreshers, so an older
# computation never overwrites a newer one.
_LOCK_KEY = 732_091_412


def _first_months() -> tuple[date, date] | None:
    """The first and last months holding any record the cells count, or None when empty."""
    bounds = []
    for model, field in (
        (Incident, "started_at"),
        (NearMiss, "occurred_at"),
        (Deployment, "deployed_at"),
    ):
        found = model.objects.aggregate(first=Min(field), last=Max(field))
        if found["first"] is not None:
            bounds += [found["first"], found["last"]]
    if not bounds:
        return None
    first, last = min(bounds), max(bounds)
    return date(first.year, first.month, 1), date(last.year, last.month, 1)


def _lock(wait: bool = True) -> bool:
    """Serialise refreshers; False when another holds the lock and `wait` is False (it
    will leave marks written meanwhile for the next refresh)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
            cursor.execute(f"SELECT {function}(%s)", [_LOCK_KEY])
            return wait or cursor.fetchone()[0]
    # SQLite: the first write of the transaction takes the database's only write lock.
    return True


def _runs(months: list[date], longest: int = _MONTHS_PER_STATEMENT) -> list[tuple[date, date]]:
    """Months as [first, after-last) runs of consecutive months, each at most `longest`."""
    runs: list[tuple[date, date, int]] = []
    for month in sorted(set(months)):
        if runs and runs[-1][1] == month and runs[-1][2] < longest:
            runs[-1] = (runs[-1][0], _add_months(month, 1), runs[-1][2] + 1)
        else:
            runs.append((month, _add_months(month, 1), 1))
    return [(first, after) for first, after, _ in runs]


def _clear(marks: list[int]) -> None:
    """Delete the marks read, and only those (in chunks: SQLite bounds the parameters)."""
    for index in range(0, len(marks), 5000):
        DirtyMonth.objects.filter(pk__in=marks[index : index + 5000]).delete()


def _compute(months: list[date], longest: int = _MONTHS_PER_STATEMENT) -> None:
    for first, after in _runs(months, longest):
        start, end = utc_midnight(first), utc_midnight(after)
        RollupCell.objects.filter(month__gte=first, month__lt=after).delete()
        cells.compute(start, end)
    existing = set(RollupMonth.objects.filter(month__in=months).values_list("month", flat=True))
    RollupMonth.objects.bulk_create(
        [RollupMonth(month=month) for month in sorted(set(months) - existing)]
    )
    RollupMonth.objects.filter(month__in=existing).update(computed_at=timezone.now())


def _months_from(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last:
        months.append(_add_months(months[-1], 1))
    return months


def _all_months() -> list[date]:
    found = _first_months()
    return _months_from(*found) if found else []


def rebuild(*, queue: bool = True) -> int:
    """Recompute every month from the first record to the last, and the review queue's stored
    cues; returns the months computed. `queue` False leaves the cues out: only for migration
    0005, which runs before their table exists (reviews/0007 computes them)."""
    with transaction.atomic():
        _lock()
        seen = list(DirtyMonth.objects.values_list("pk", flat=True))
        months = _all_months()
        RollupCell.objects.all().delete()
        RollupMonth.objects.all().delete()
        _compute(months)
        if queue:
            queue_store.compute()
        _clear(seen)
    return len(months)


def compute_measures(*names: str) -> None:
    """Recompute the named measures' cells in every computed month: for a migration that
    adds measures, without recomputing the others."""
    with transaction.atomic():
        _lock()
        months = sorted(RollupMonth.objects.values_list("month", flat=True))
        for first, after in _runs(months):
            RollupCell.objects.filter(measure__in=names, month__gte=first, month__lt=after).delete()
            cells.compute(utc_midnight(first), utc_midnight(after), only=names)


def refresh(*, wait: bool = True) -> int:
    """Recompute the months writes marked since the last refresh; returns how many. With
    `wait` False, gives up at once (0) when another refresh is running.

    Only the marks read at the start are cleared: a write that commits meanwhile leaves its
    own, so its month is counted live until the next refresh, never read stale.
    """
    with transaction.atomic():
        if not _lock(wait):
            return 0
        marks = list(DirtyMonth.objects.values_list("pk", "month"))
        if not marks:
            return 0
        if any(month is None for _, month in marks):
            months = _all_months()
            RollupCell.objects.all().delete()
            RollupMonth.objects.exclude(month__in=months).delete()
            _compute(months)
            queue_store.compute()
        else:
            # Every month from the first marked to the last, in one statement per measure:
            # a refresh costs the same queries however many months a write touched.
            marked = sorted({month for _, month in marks})
            months = _months_from(marked[0], marked[-1])
            _compute(months, longest=len(months))
            queue_store.compute(utc_midnight(months[0]), utc_midnight(_add_months(months[-1], 1)))
        _clear([pk for pk, _ in marks])
    return len(months)
