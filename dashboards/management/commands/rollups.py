"""Compute, refresh or check the monthly rollups the dashboards read (docs/rollups.md).

manage.py rollups --rebuild   every month from the first record to the last
manage.py rollups --refresh   the months writes marked since the last refresh
manage.py rollups --check     every computed, unmarked cell against a count from the
                              records now, the dashboard figures of the last four
                              quarters against live_only(), and the review queue's stored
                              cues against the records; exits 1 on any difference
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dashboards import selectors
from dashboards.models import RollupCell, RollupMonth
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups import cells
from dashboards.rollups.refresh import _first_months, _runs
from dashboards.rollups.refresh import rebuild as rebuild_every_month
from dashboards.rollups.refresh import refresh as refresh_marked_months
from incidents.days import utc_midnight
from incidents.derived import any_marked, live_only
from incidents.models import DirtyMonth
from reviews import queue_store

_CELL = ("month", "measure", "key", "private", "team", "system", "severity")


class _Rollback(Exception):
    pass


def _stored(months: Iterable) -> dict[tuple, int]:
    rows = RollupCell.objects.filter(month__in=list(months)).values_list(*_CELL, "n")
    return {row[:-1]: row[-1] for row in rows}


class Command(BaseCommand):
    help = "Rebuild, refresh or check the dashboards' monthly rollups."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--rebuild", action="store_true", help="recompute every month")
        action.add_argument("--refresh", action="store_true", help="recompute marked months")
        action.add_argument(
            "--check", action="store_true", help="compare the cells with the records"
        )

    def handle(self, *args, rebuild: bool, refresh: bool, check: bool, **options):
        started = time.monotonic()
        if rebuild:
            months = rebuild_every_month()
            self.stdout.write(
                f"Rolled up {months} months: {RollupCell.objects.count()} cells "
                f"({time.monotonic() - started:.1f} s)."
            )
        elif refresh:
            months = refresh_marked_months()
            self.stdout.write(f"Refreshed {months} months ({time.monotonic() - started:.1f} s).")
        else:
            differences = self._check_cells() + self._check_figures() + self._check_queue()
            for line in differences[:50]:
                self.stderr.write(line)
            if differences:
                raise CommandError(f"{len(differences)} differences between rollups and records")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rollups match the records ({time.monotonic() - started:.1f} s)."
                )
            )

    def _check_cells(self) -> list[str]:
        """Every cell of the months read from the cells (computed, unmarked) against the
        same count made from the records now, in a transaction rolled back."""
        marked = set(DirtyMonth.objects.values_list("month", flat=True))
        if None in marked:
            self.stdout.write("Every month is marked for a refresh: no cell is read.")
            return []
        months = sorted(set(RollupMonth.objects.values_list("month", flat=True)) - marked)
        stored = _stored(months)
        try:
            with transaction.atomic():
                for first, after in _runs(months):
                    RollupCell.objects.filter(month__gte=first, month__lt=after).delete()
                    cells.compute(utc_midnight(first), utc_midnight(after))
                counted = _stored(months)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(f"Checked {len(stored)} cells of {len(months)} months.")
        return [
            f"cell {dict(zip(_CELL, key, strict=True))}: stored {stored.get(key, 0)}, "
            f"records {counted.get(key, 0)}"
            for key in sorted(set(stored) | set(counted), key=str)
            if stored.get(key, 0) != counted.get(key, 0)
        ]

    def _check_figures(self) -> list[str]:
        """The overview and the systems page of the last four quarters, as a superuser, from
        the rollups and from the records alone."""
        span = _first_months()
        user = get_user_model().objects.filter(is_superuser=True).first()
        if span is None or user is None:
            return []
        last = span[1]
        quarter = Period.quarter(last.year, (last.month - 1) // 3 + 1)
        differences = []
        for _ in range(4):
            for name, read in (
                ("overview", selectors.dashboard_overview),
                ("systems", selectors.systems_page),
            ):
                figures = read(user=user, period=quarter, filters=DashboardFilters())
                with live_only():
                    live = read(user=user, period=quarter, filters=DashboardFilters())
                if figures != live:
                    differences.append(f"{name} of {quarter.start:%Y-%m}: differs from records")
            quarter = quarter.previous()
        self.stdout.write("Checked the overview and systems figures of 4 quarters.")
        return differences

    def _check_queue(self) -> list[str]:
        """The review queue's stored cues (`reviews.WaitingIncident`) against the records:
        read only while no month is marked, so checked only then."""
        if any_marked():
            self.stdout.write("A month is marked: the queue computes its cues live.")
            return []
        found = queue_store.differences()
        self.stdout.write("Checked the review queue's stored cues.")
        return found
