"""One log line per request: request id, user id, method, path, status and duration.

The request id comes from the proxy's X-Request-ID when it sends a sensible one (so a line
here joins the proxy's own log), else it is generated; either way the response echoes it,
and every other line logged while serving the request carries it too (config/logs.py).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from config.logs import current_request_id

logger = logging.getLogger("config.request")

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from outside: the ids proxies generate (UUIDs, hex, base64-ish), short
# enough for a log line. Anything else is replaced, not trusted into logs and headers.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")

# The probes answer every few seconds per replica; a line for each success is noise.
# A failing probe is logged like any other request.
_QUIET_PATHS = {"/healthz", "/readyz"}


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        request.request_id = request_id
        # Cleared when the response is closed (below), not on return: Django's own line for an
        # error response, and lines logged while a response streams, come after this returns.
        current_request_id.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        # For a streamed response (a CSV export) this is the time to the first byte.
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response[REQUEST_ID_HEADER] = request_id
        if not (request.path_info in _QUIET_PATHS and response.status_code < 400):
            _log(request, response, request_id, duration_ms)
        return response


def _forget_request_id(**kwargs) -> None:
    current_request_id.set(None)


# The WSGI server closes the response, in the thread that served it, once the body is sent.
request_finished.connect(_forget_request_id, dispatch_uid="config.request_log")


def _request_id(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if _ACCEPTABLE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    # Only a user something already looked up: resolving it here would read the session
    # for a request that never needed one (a probe, a static file).
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return getattr(user, "pk", None)


def _log(request: HttpRequest, response: HttpResponse, request_id: str, duration_ms: float):
    status = response.status_code
    user_id = _user_id(request)
    logger.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "%s %s %s %sms user=%s",
        request.method,
        request.path,
        status,
        duration_ms,
        user_id if user_id is not None else "-",
        extra={
            "request_id": request_id,
            "user_id": user_id,
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": duration_ms,
        },
    )
