"""What every /api/v1/ viewset shares: the base viewset (JSON errors, CSV lists, strict query
parameters, the role-rule hooks), the `format` parameter, and the CSV-only export action.

Who may do what comes from `reviews/rules.py` (through `api.permissions.RoleRules`); what a
user may see comes from the `visible_to` querysets, so a hidden incident is a 404.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from api.base import ApiMixin
from api.exports import stream_serialized_csv
from api.permissions import RoleRules
from api.renderers import CSVRenderer
from reviews.freeze import unless_published

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv` downloads the whole filtered list as CSV (not paginated, streamed); "
    "`Accept: text/csv` does the same.",
)


def csv_response(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def require(answer) -> None:
    """A 403 carrying the rule's reason when a role check (`allow(...)`) says no."""
    if not answer:
        raise PermissionDenied(getattr(answer, "message", None))


class ApiViewSet(ApiMixin, viewsets.ModelViewSet):
    """Shared behaviour: JSON errors, CSV lists, strict query parameters, role rules."""

    permission_classes = [IsAuthenticated, RoleRules]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    csv_name = "export"

    # --- lists -----------------------------------------------------------------------------

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            if self.paginator is not None:  # not paginated, but a bad page size is still a 400
                self.paginator.check_query_params(request)
            queryset = self.filter_queryset(self.get_queryset())
            lines = stream_serialized_csv(
                queryset, self.get_serializer_class(), self.get_serializer_context()
            )
            return csv_response(lines, f"{self.csv_name}.csv")
        return super().list(request, *args, **kwargs)

    # --- role rules (overridden per resource) ----------------------------------------------

    def may_create(self, user):
        return False

    def may_change(self, user, obj):
        return False

    def may_delete(self, user, obj):
        return self.may_change(user, obj)

    def check_create(self, user, validated_data):
        return True

    def perform_create(self, serializer, **save_kwargs):
        require(self.check_create(self.request.user, serializer.validated_data))
        with unless_published(self._frozen_by(serializer.validated_data), by=self.request.user):
            serializer.save(**save_kwargs)

    # --- the freeze --------------------------------------------------------------------------

    # The field naming what a published review freezes this resource with ("incident" or
    # "review"), None when none does. Writes then re-check the freeze under the review's lock
    # (`unless_published`): the rules above were asked before the write, and a publication
    # can commit in between.
    frozen_with: str | None = None

    def _frozen_by(self, source):
        if self.frozen_with is None:
            return None
        if isinstance(source, dict):
            return source.get(self.frozen_with)
        return getattr(source, self.frozen_with)

    def perform_update(self, serializer):
        with unless_published(self._frozen_by(serializer.instance), by=self.request.user):
            serializer.save()

    def perform_destroy(self, instance):
        with unless_published(self._frozen_by(instance), by=self.request.user):
            instance.delete()


class FlatExport:
    """A resource with an `export` action: CSV only, filtered like the list."""

    csv_actions = frozenset({"list", "export"})
    list_actions = frozenset({"list", "export"})

    def get_renderers(self):
        if self.action == "export":
            return [CSVRenderer()]
        return super().get_renderers()
