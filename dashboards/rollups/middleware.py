"""Refresh the rollups after a request that may have written, once its response is sent.

Exactness never waits on this: a write marks its months in its own transaction and readers
count marked months live. This keeps them fast: the months a request marked are recomputed
as soon as its response has gone out (Django's `request_finished`, sent when the server
closes the response), so the writer does not wait for it and the next reader finds cells.
"""

from __future__ import annotations

import logging
import threading

from dashboards.rollups.refresh import refresh
from incidents.derived import any_marked

logger = logging.getLogger(__name__)
_state = threading.local()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class RefreshRollupsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Set on every request, not only on writes: a request whose response was never
        # closed (an exception raised through a test client) must not leave its flag for
        # the next request on the thread, which would then refresh after a mere read.
        _state.wrote = request.method not in SAFE_METHODS
        return self.get_response(request)


def refresh_after_request(**kwargs) -> None:
    """request_finished receiver (connected in DashboardsConfig.ready)."""
    if not getattr(_state, "wrote", False):
        return
    _state.wrote = False
    # Django's own request_finished receiver has already closed an obsolete connection; this
    # one (re)opens it if needed, and the next request's start applies CONN_MAX_AGE to it.
    try:
        if any_marked():
            refresh(wait=False)
    except Exception:  # the months stay marked, so readers stay exact; only slower
        logger.exception("Refreshing the rollups after a request failed")
