"""OpenAPI generation: every operation documents its JSON errors and its CSV variant.

drf-spectacular documents the success responses; this adds, in this one place, every error
response an operation can give (a client generated from the schema must know a 409 or a 503
can come back), all in the shared `Error` shape (`ValidationError` for a 400), and describes a
CSV response as CSV text rather than as the JSON structure. An operation that declares one of
these codes itself (the review's 409 with the stored text) keeps its own.
"""

from __future__ import annotations

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from api.base import BODY_METHODS


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")


class ValidationErrorSerializer(ErrorSerializer):
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Messages per field (lists of strings; nested objects for nested fields).",
    )


_DESCRIPTIONS = {
    "400": "Invalid input or an unknown query parameter; `fields` says which and why.",
    "401": "Not logged in: send `Authorization: Token <token>` or a session cookie.",
    "403": "Logged in, but your role does not allow this.",
    "404": "No such object, or one you may not see (private incidents).",
    "405": "This path does not take the method: `Allow` lists the ones it does.",
    "406": "The Accept header asks for a format this operation does not produce.",
    "409": "Conflicts with the current state: someone saved a conflicting record (the same "
    "name, slug or external id) at the same moment, and nothing was saved.",
    "411": "A body without a Content-Length (Transfer-Encoding: chunked) is not read: send "
    "its length.",
    "409-delete": "Still in use by other records (a system named by incidents, a team that "
    "owns systems): remove those first.",
    "413": "The request body is too large.",
    "415": "Unsupported Content-Type: send {media_types}.",
    "429": "Too many requests (or, at login, too many failed logins for this username from "
    "your address): wait the seconds in `Retry-After`.",
    "503": "The database is unavailable (a restart, a failover): try again after the "
    "seconds in `Retry-After`.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
_ALLOW = {
    "Allow": {
        "description": "The methods this path takes, comma-separated.",
        "schema": {"type": "string"},
    }
}
_HEADERS = {"405": _ALLOW, "429": _RETRY_AFTER, "503": _RETRY_AFTER}
_CSV_SCHEMA = {"type": "string", "description": "CSV with a header row (UTF-8)."}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self, *, has_body: bool) -> list[str]:
        codes = ["400"]
        if self.get_auth():
            codes += ["401", "403"]
        codes += ["404", "405", "406"]
        if self.method in (*BODY_METHODS, "DELETE") and isinstance(self.view, GenericAPIView):
            codes.append("409")  # a record's write: a race on a unique value, or still in use
        if self.method in BODY_METHODS:
            codes += ["411", "413"]
        if has_body:
            codes.append("415")
        if self._throttled():
            codes.append("429")
        codes.append("503")  # any operation, while the database is down (config.errors)
        return codes

    def _throttled(self) -> bool:
        """Whether one of the view's throttles (api.throttling) counts this operation."""
        return any(
            getattr(throttle, "applies_to", lambda method: True)(self.method)
            for throttle in self.view.throttle_classes
        )

    def _description(self, code: str, request_body: dict | None) -> str:
        if code == "409" and self.method == "DELETE":
            return _DESCRIPTIONS["409-delete"]
        if code == "415":
            media_types = " or ".join(request_body["content"])
            return _DESCRIPTIONS["415"].format(media_types=media_types)
        return _DESCRIPTIONS[code]

    def _error_content(self, code: str) -> dict:
        serializer = ValidationErrorSerializer if code == "400" else ErrorSerializer
        response = self._get_response_for_code(serializer, code, media_types=["application/json"])
        return response["content"]["application/json"]

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, response in responses.items():
            content = response.get("content") or {}
            if code.startswith(("4", "5")):
                # Errors are JSON whatever the client asked for (api.base.JsonErrors), in the
                # shared shape when the view declared a description only.
                declared = content.get("application/json") or self._error_content(code)
                response["content"] = {"application/json": declared}
                continue
            for media_type in content:
                if media_type.startswith("text/csv"):
                    content[media_type] = {"schema": dict(_CSV_SCHEMA)}
        request_body = operation.get("requestBody")
        for code in self._error_codes(has_body=request_body is not None):
            if code in responses:
                continue
            serializer = ValidationErrorSerializer if code == "400" else ErrorSerializer
            responses[code] = self._get_response_for_code(
                serializer, code, media_types=["application/json"]
            )
            responses[code]["description"] = self._description(code, request_body)
            if code in _HEADERS:
                responses[code]["headers"] = dict(_HEADERS[code])
        operation["responses"] = dict(sorted(responses.items()))
        return operation
