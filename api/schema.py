"""OpenAPI generation: every operation documents its JSON errors and its CSV variant.

drf-spectacular documents the success responses; this adds the error responses each operation
can give (a client generated from the schema must know a 409 can come back) and describes a
CSV response as CSV text rather than as the JSON structure.
"""

from __future__ import annotations

from drf_spectacular import openapi
from rest_framework import serializers


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
    "406": "The Accept header asks for a format this operation does not produce.",
    "409": "Conflicts with the current state (see the operation).",
    "413": "The request body is too large.",
    "415": "Unsupported Content-Type; send application/json.",
    "429": "Too many requests (or, at login, too many failed logins for this username from "
    "your address): wait the seconds in `Retry-After`.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
_CSV_SCHEMA = {"type": "string", "description": "CSV with a header row (UTF-8)."}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "406"]
        if self.get_auth():
            codes += ["401", "403"]
        codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if self._throttled():
            codes.append("429")
        return codes

    def _throttled(self) -> bool:
        """Whether one of the view's throttles (api.throttling) counts this operation."""
        return any(
            getattr(throttle, "applies_to", lambda method: True)(self.method)
            for throttle in self.view.throttle_classes
        )

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for response in responses.values():
            content = response.get("content") or {}
            for media_type in content:
                if media_type.startswith("text/csv"):
                    content[media_type] = {"schema": dict(_CSV_SCHEMA)}
        for code in self._error_codes():
            if code in responses:
                continue
            serializer = ValidationErrorSerializer if code == "400" else ErrorSerializer
            responses[code] = self._get_response_for_code(
                serializer, code, media_types=["application/json"]
            )
            responses[code]["description"] = _DESCRIPTIONS[code]
            if code == "429":
                responses[code]["headers"] = dict(_RETRY_AFTER)
        return dict(sorted(responses.items()))
