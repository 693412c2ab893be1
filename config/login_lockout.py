"""Login lockout (django-axes): whose address a login comes from, which username it counts
against, and what a locked-out web or admin login sees. The settings ("Abuse" in
config/settings.py) name these functions.

The API login answers its own lockout as JSON (api/auth.py); both say the same message,
settings.AXES_COOLOFF_MESSAGE, whatever the password was, so a locked-out answer never tells
whether the password was right.
"""

from __future__ import annotations

from axes.helpers import get_cool_off, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as DRF's throttles see it: REMOTE_ADDR, or, behind NUM_PROXIES
    trusted reverse proxies, the address the nearest of them forwarded. One rule for the
    lockout and the throttles, so a forged X-Forwarded-For fools neither."""
    return BaseThrottle().get_ident(request)


def username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username a failed login is counted against, read as axes reads it, cut to what
    its record (AccessAttempt.username) holds: a longer one, which no account has, made the
    failure's insert a DataError, a 500, on PostgreSQL."""
    if credentials:
        given = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        given = getattr(request, "data", request.POST).get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(given, str):
        return given
    return given[: AccessAttempt._meta.get_field("username").max_length]


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """A 429 page saying why and for how long (each failure during the lock restarts the
    cool-off, so the whole cool-off is the honest Retry-After)."""
    response = render(
        request,
        "registration/locked_out.html",
        {"message": get_lockout_message()},
        status=429,
    )
    response["Retry-After"] = str(int(get_cool_off(request).total_seconds()))
    return response
