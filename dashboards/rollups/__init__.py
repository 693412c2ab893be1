"""Monthly rollups of the dashboards' counts (see dashboards/models.py and docs/rollups.md)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_live_only: ContextVar[bool] = ContextVar("rollups_live_only", default=False)


@contextmanager
def live_only():
    """Count everything from the records, ignoring the rollups: the reference every rollup
    figure is checked against (`manage.py rollups --check`, the tests)."""
    token = _live_only.set(True)
    try:
        yield
    finally:
        _live_only.reset(token)


def reading_rollups() -> bool:
    return not _live_only.get()
