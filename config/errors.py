"""What a request gets when something fails on the server: JSON under /api/, and a 503 (not a
500) while the database cannot be reached.

Django calls `server_error` (handler500) for any exception nothing else handled, inside the
`except` that caught it, so the exception is at hand. A database that refuses connections,
is restarting or dropped ours is an outage, not a bug: clients are told to retry (503 with
Retry-After), and the page says so without touching the database (no user, no session, no
context processors). Nothing is kept from the failure: Django closes a broken connection when
the request ends (CONN_HEALTH_CHECKS and close_old_connections), so the first request after
the database is back simply works.

With DEBUG on, Django shows its debug page instead, as for any other error.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

from api.exceptions import json_error

RETRY_AFTER_SECONDS = 10


def is_api_request(request) -> bool:
    return request.path_info.startswith("/api/")


def database_unavailable(error: BaseException | None) -> bool:
    # OperationalError: no connection, connection lost, server shutting down, a lock timeout;
    # InterfaceError: a connection already closed under us. All pass if retried later.
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request):
    api = is_api_request(request)
    if database_unavailable(sys.exc_info()[1]):
        if api:
            response = json_error(503, "The database is unavailable; try again in a moment.")
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if api:
        return json_error(500, "Server error. It has been logged.")
    return defaults.server_error(request)
