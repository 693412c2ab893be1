"""What a request gets when Django refuses it or something fails on the server: JSON under
/api/ (in the API's error shape), a 413 for a body over the upload limit, and a 503 (not a
500) while the database cannot be reached.

Django answers some requests before any view runs, or beside DRF, through the handlers wired
in config.urls: a SuspiciousOperation (a Host not in ALLOWED_HOSTS, too many fields, a body
over DATA_UPLOAD_MAX_MEMORY_SIZE) or a malformed multipart body goes to handler400, a
PermissionDenied to handler403, an Http404 to handler404. Under /api/ each answers JSON, so a
client never has to read an HTML page. Django has no handler413: it reports a body over the
limit as a SuspiciousOperation, a 400, and `bad_request` answers it as what it is, a 413
(pages too). The handlers never read the Host header (it may be the very thing refused) and
never repeat what was refused.

Django calls `server_error` (handler500) for any exception nothing else handled, inside the
`except` that caught it, so the exception is at hand. A database that refuses connections,
is restarting or dropped ours is an outage, not a bug: clients are told to retry (503 with
Retry-After), and the page says so without touching the database (no user, no session, no
context processors). Nothing is kept from the failure: Django closes a broken connection when
the request ends (CONN_HEALTH_CHECKS and close_old_connections), so the first request after
the database is back simply works.

With DEBUG on, Django shows its debug pages instead, as for any other error.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
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


def _bad_request_detail(exception) -> str:
    # Fixed sentences: Django's messages repeat what was refused (the Host header, a path).
    if isinstance(exception, DisallowedHost):
        return "The Host header names no site served here."
    if isinstance(exception, TooManyFieldsSent):
        return (
            f"Too many parameters: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} in the "
            "query string or form."
        )
    if isinstance(exception, TooManyFilesSent):
        return f"Too many files: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
    if isinstance(exception, MultiPartParserError):
        return "The multipart body is malformed (its boundary or parts cannot be read)."
    return "The request is malformed."


def bad_request(request, exception):
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request, exception)
    if is_api_request(request):
        return json_error(400, _bad_request_detail(exception))
    return defaults.bad_request(request, exception)


def request_too_large(request, exception):
    detail = f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
    if is_api_request(request):
        return json_error(413, detail)
    page = defaults.ERROR_PAGE_TEMPLATE % {"title": "Request too large (413)", "details": detail}
    return HttpResponse(page, status=413)


def permission_denied(request, exception):
    if is_api_request(request):
        # A PermissionDenied's message is written for the person refused (api.exceptions).
        return json_error(403, str(exception) or "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api_request(request):
        return json_error(404, "Not found.")
    return defaults.page_not_found(request, exception)
