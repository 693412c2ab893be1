"""/api/v1/near-misses/: anyone logged in reports one; responders edit; CSV export.

Writes go through `incidents.services` (by way of NearMissSerializer).
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action

from api import serializers as s
from api.exports import NEAR_MISS_EXPORT_COLUMNS, near_miss_export_queryset, stream_export
from api.permissions import allow
from api.views.common import FORMAT_PARAMETER, ApiViewSet, FlatExport, csv_response
from incidents.filters import NearMissFilter
from incidents.models import NearMiss
from reviews import rules


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class NearMissViewSet(FlatExport, ApiViewSet):
    queryset = NearMiss.objects.select_related("reported_by").prefetch_related("systems")
    serializer_class = s.NearMissSerializer
    filterset_class = NearMissFilter
    ordering_fields = ["occurred_at", "title", "potential_severity", "created_at"]
    ordering = ["-occurred_at"]
    csv_name = "near-misses"

    def may_create(self, user):
        # As on the near-miss form: anyone logged in may report one (low friction, DOMAIN.md).
        return allow(user.is_authenticated, "Log in to report a near miss.")

    def may_change(self, user, obj):
        return allow(rules.is_responder(user), "Only responders and facilitators edit near misses.")

    def may_delete(self, user, obj):
        return allow(rules.is_facilitator(user), "Only facilitators delete near misses.")

    @extend_schema(
        summary="Export near misses with their signal counts as CSV (streamed)",
        description="Columns: " + ", ".join(NEAR_MISS_EXPORT_COLUMNS) + ". `reporter` is empty "
        "for an anonymous report.",
        filters=True,
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv"])],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV")},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        pagination_class=None,
        filter_backends=[DjangoFilterBackend],
    )
    def export(self, request, format=None):
        queryset = self.filter_queryset(NearMiss.objects.all())
        lines = stream_export(near_miss_export_queryset(queryset), NEAR_MISS_EXPORT_COLUMNS)
        return csv_response(lines, "near-misses.csv")
