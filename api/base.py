"""What every API view shares: JSON errors (also when CSV was asked for), 405 for a method the
path does not take before anything else is looked at, a body-size limit answered with 413 (and
411 for a body without a length), and query parameters checked against the ones the operation
knows (400)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.exceptions import LengthRequired, RequestTooLarge
from api.renderers import CSVRenderer

# The methods whose body the API reads: only these can be too large (413), chunked (411) or of
# the wrong media type (415).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class JsonErrors:
    """Errors are JSON even when the view renders something else (CSV, Markdown, YAML) or the
    client asked for it."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
            response.renderer_context = response.renderer_context or {}
        return response


class ApiMixin(JsonErrors):
    csv_actions = frozenset({"list"})
    list_actions = frozenset({"list"})
    extra_query_params: dict[str, set[str]] = {}
    # Query parameters of a plain APIView (no actions).
    query_params: frozenset[str] = frozenset()
    max_body_bytes: int | None = None

    def get_renderers(self):
        if getattr(self, "action", None) in self.csv_actions:
            return [JSONRenderer(), CSVRenderer()]
        return [JSONRenderer()]

    def perform_content_negotiation(self, request, force=False):
        wanted = request.query_params.get("format")
        if wanted is not None and not force:
            formats = [renderer.format for renderer in self.get_renderers()]
            if wanted not in formats:
                raise ValidationError(
                    {"format": [f"Unknown format {wanted!r}; choose from {', '.join(formats)}."]}
                )
        return super().perform_content_negotiation(request, force)

    def initial(self, request, *args, **kwargs):
        # DRF looks for the method's handler only after authentication, throttles and our
        # checks below: a method this path does not take would be a 400, 401 or 429 first.
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        if request.method in BODY_METHODS:
            self.check_body_size(request)
        super().initial(request, *args, **kwargs)
        self.check_query_params(request)

    def check_body_size(self, request):
        if not request.META.get("CONTENT_LENGTH") and request.META.get("HTTP_TRANSFER_ENCODING"):
            # Django reads no body without a Content-Length: a chunked one would be taken for
            # an empty body and answered with misleading "field required" errors.
            raise LengthRequired()
        limit = self.max_body_bytes or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")

    def allowed_query_params(self) -> set[str]:
        allowed = {"format"} | set(self.query_params)
        action = getattr(self, "action", None)
        if action in self.list_actions:
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
            if action == "list":  # exports always go in primary-key order, unpaginated
                allowed |= {"page", "page_size"}
                if getattr(self, "ordering_fields", None):
                    allowed.add("ordering")
        return allowed | self.extra_query_params.get(action, set())

    def check_query_params(self, request):
        allowed = self.allowed_query_params()
        # A NUL anywhere in the path or the query never gets this far (config.middleware).
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            message = f"Unknown query parameter. Allowed here: {', '.join(sorted(allowed))}."
            raise ValidationError({name: [message] for name in unknown})
