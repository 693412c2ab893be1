"""Every API error is JSON with a readable `detail`; validation errors add `fields`.

    {"detail": "Some fields are not valid.", "fields": {"title": ["This field is required."]}}

Django-level errors that DRF leaves alone (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a model
ValidationError from `clean()`, a database constraint hit by a race) are converted here so a
client never sees an HTML error page. A Django PermissionDenied keeps its reason (DRF would
replace it with a generic one): it says, for instance, that the review was published meanwhile.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = (
        "Send the body with a Content-Length header: a chunked body (Transfer-Encoding) is "
        "not read."
    )
    default_code = "length_required"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class LoginLockedOut(exceptions.APIException):
    """Too many failed logins for a username from an address (django-axes): 429, with the
    cool-off as Retry-After (DRF's handler turns `wait` into that header)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, detail: str, *, wait: int):
        super().__init__(detail)
        self.wait = wait


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, messages in errors.items():
            message = _first_message(messages)
            if message:
                return message if field in ("non_field_errors", "detail") else f"{field}: {message}"
        return ""
    if isinstance(errors, list):
        for item in errors:
            message = _first_message(item)
            if message:
                return message
        return ""
    return str(errors)


def _still_in_use(blocking) -> Conflict:
    return Conflict(f"Still in use by {len(blocking)} record(s); remove those first.")


def _with_what_it_takes(exc, context) -> exceptions.UnsupportedMediaType:
    request = context.get("request")
    takes = " or ".join(parser.media_type for parser in getattr(request, "parsers", None) or [])
    if not takes:
        return exc
    return exceptions.UnsupportedMediaType(None, detail=f"{exc.detail} Send {takes}.")


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DataError):
        # A value the database cannot store (out of range, NUL byte) that validation missed.
        exc = exceptions.ValidationError(
            {"non_field_errors": ["A value is out of range or malformed."]}
        )
    elif isinstance(exc, ProtectedError):
        exc = _still_in_use(exc.protected_objects)
    elif isinstance(exc, RestrictedError):
        exc = _still_in_use(exc.restricted_objects)
    elif isinstance(exc, IntegrityError):  # after its subclasses ProtectedError, RestrictedError
        # Validation checks every unique constraint first; one that still fails lost a race
        # with a write that committed meanwhile (the same name, the same external id).
        exc = Conflict(
            "Someone saved a conflicting record at the same moment; nothing was saved. "
            "Reload and try again."
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = _with_what_it_takes(exc, context)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if getattr(exc, "body", None) is not None:
        response.data = exc.body
    elif isinstance(exc, exceptions.ValidationError):
        fields = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        summary = _first_message(fields)
        response.data = {
            "detail": f"The request is not valid. {summary}".strip(),
            "fields": fields,
        }
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": _first_message(response.data) or "Error."}
    return response


def json_error(status_code: int, detail: str) -> JsonResponse:
    """For plain Django views under /api/ (the 404 fallback): the same shape as DRF errors."""
    return JsonResponse({"detail": detail}, status=status_code)
