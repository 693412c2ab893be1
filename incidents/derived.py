"""Reading the stores derived from the records, or the records themselves.

Two stores hold figures computed from the records so that pages need not compute them on
every request: the dashboards' monthly rollups (dashboards/rollups/) and the review queue's
cues (`reviews.WaitingIncident`). Each is exact only for months no write has marked since it
was computed (`incidents.models.DirtyMonth`); `live_only()` turns both off, which is the
reference every test and `manage.py rollups --check` compare them with.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from incidents.models import DirtyMonth

_live_only: ContextVar[bool] = ContextVar("derived_live_only", default=False)


@contextmanager
def live_only():
    """Compute everything from the records, ignoring the derived stores."""
    token = _live_only.set(True)
    try:
        yield
    finally:
        _live_only.reset(token)


def reading_derived() -> bool:
    return not _live_only.get()


def any_marked() -> bool:
    """Whether a write marked any month since the last refresh (one indexed query)."""
    return DirtyMonth.objects.exists()
