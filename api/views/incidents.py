"""/api/v1/incidents/: list, log (idempotently for integrations), edit, export and import.

Writes go through `incidents.services`; the view parses, asks the rules and serialises.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api import serializers as s
from api.exceptions import Conflict
from api.exports import INCIDENT_EXPORT_COLUMNS, incident_export_queryset, stream_export
from api.importing import (
    ImportRefused,
    duplicate_rows,
    parse_bool,
    request_rows,
    row_errors,
    skipped_as_seen_by,
)
from api.parsers import JSONParser
from api.permissions import allow
from api.schema import ErrorSerializer
from api.views.common import FORMAT_PARAMETER, ApiViewSet, FlatExport, csv_response
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    OwnershipGap,
    Surprise,
    TimelineEntry,
)
from incidents.services import incident_create_or_get, incidents_import
from reviews import rules
from reviews.filters import IncidentFilter

# An import file may be bigger than an ordinary request body.
IMPORT_MAX_BYTES = 20 * 1024 * 1024


def incident_rows(queryset, *, detail: bool):
    """Incidents with what their serializer reads, each relation in one query (no per-row
    query); `detail` adds what hangs off an incident (IncidentDetailSerializer)."""
    queryset = queryset.select_related("lead", "review").prefetch_related(
        Prefetch(
            "system_roles",
            queryset=IncidentSystem.objects.select_related("system__owner_team").order_by("pk"),
        ),
        "teams",
        "responders",
    )
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("author")),
            Prefetch("surprises", queryset=Surprise.objects.select_related("system")),
            Prefetch("difficulties", queryset=Difficulty.objects.select_related("system")),
            Prefetch("ownership_gaps", queryset=OwnershipGap.objects.select_related("system")),
            "themes",
        )
    return queryset


INCIDENT_DUPLICATE = OpenApiResponse(
    s.IncidentDetailSerializer,
    description="An incident with this (source, external_id) already exists: it is returned "
    "as it is and nothing is created (safe retries for integrations).",
)


@extend_schema_view(
    list=extend_schema(parameters=[FORMAT_PARAMETER]),
    create=extend_schema(
        description="Log an incident. With an `external_id`, posting the same "
        "(source, external_id) again returns the existing incident with 200 instead of a "
        "duplicate; 409 when it exists but is private and hidden from you.",
        responses={
            201: s.IncidentDetailSerializer,
            200: INCIDENT_DUPLICATE,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The (source, external_id) exists on a private incident you may "
                "not see.",
            ),
        },
    ),
)
class IncidentViewSet(FlatExport, ApiViewSet):
    serializer_class = s.IncidentSerializer
    lookup_field = "reference"
    filterset_class = IncidentFilter
    ordering_fields = ["started_at", "severity", "status", "reference", "title", "created_at"]
    ordering = ["-started_at"]
    extra_query_params = {"import_incidents": {"dry_run"}}
    csv_name = "incidents"

    def get_queryset(self):
        return incident_rows(
            Incident.objects.visible_to(self.request.user), detail=self.action != "list"
        )

    def get_serializer_class(self):
        if self.action == "list":
            return s.IncidentSerializer
        if self.action == "import_incidents":
            return s.ImportRowSerializer
        return s.IncidentDetailSerializer

    def may_create(self, user):
        return allow(rules.is_responder(user), "Only responders and facilitators log incidents.")

    def may_change(self, user, obj):
        if not (rules.is_responder(user) and rules.can_view_incident(user, obj)):
            return allow(False, "Only responders and facilitators edit incidents.")
        return self._not_frozen(user, obj)

    def may_delete(self, user, obj):
        if not rules.is_facilitator(user):
            return allow(False, "Only facilitators delete incidents.")
        return self._not_frozen(user, obj)

    def _not_frozen(self, user, obj):
        return allow(
            not rules.is_frozen_for(user, obj),
            "The review of this incident is published: the incident is read-only now.",
        )

    # The incident itself is what a published review freezes.
    def _frozen_by(self, source):
        return source if isinstance(source, Incident) else None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident, created = incident_create_or_get(
            data=serializer.validated_data, created_by=request.user
        )
        if not created and not rules.can_view_incident(request.user, incident):
            raise Conflict("An incident with this source and external id already exists.")
        output = s.IncidentDetailSerializer(
            self.get_queryset().get(pk=incident.pk), context=self.get_serializer_context()
        )
        return Response(
            output.data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": f"{request.path}{incident.reference}/"},
        )

    @extend_schema(
        summary="Export incidents with their signal counts as CSV (streamed)",
        description="Every incident you may see that matches the filters, one row each, "
        "streamed in constant memory. Columns: " + ", ".join(INCIDENT_EXPORT_COLUMNS) + ".",
        filters=True,
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv"]),
        ],
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
        queryset = self.filter_queryset(Incident.objects.visible_to(request.user))
        lines = stream_export(incident_export_queryset(queryset), INCIDENT_EXPORT_COLUMNS)
        return csv_response(lines, "incidents.csv")

    @extend_schema(
        summary="Import incidents (JSON array or CSV file), all or nothing",
        description=(
            "POST a JSON array of incidents (`ImportRow`), or a CSV file as multipart field "
            "`file` with one incident per row: columns as in ImportRow; `systems` as "
            "`name:role; name:role`, `teams` as `slug; slug`, and `surprises`, `difficulties`, "
            "`ownership_gaps` as JSON arrays. At most 10,000 rows. The whole file is validated "
            "first; any error and nothing is written (400 with one entry per row and field): "
            "a CSV row with more or fewer fields than the header or broken quoting, an unknown "
            "or repeated column, an unknown field, a row naming one system twice. Systems "
            "named but unknown are created without an owner and listed in `systems_created`; "
            "a name is the catalog system with that name (case aside) or slug, or whose slug "
            "it gives. A row whose (source, external_id) exists is skipped, so an import can "
            "be re-run (its `reference` is null when the incident is private and hidden from "
            "you). `?dry_run=true` validates and reports without writing anything (no "
            "reference is used up): `created` then names the rows (`row 3`)."
        ),
        request={
            "application/json": s.ImportRowSerializer(many=True),
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
        },
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Validate only."),
        ],
        responses={
            201: s.ImportResultSerializer,
            200: OpenApiResponse(s.ImportResultSerializer, description="Dry run: nothing written"),
            400: s.ImportErrorSerializer,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[JSONParser, MultiPartParser],
        max_body_bytes=IMPORT_MAX_BYTES,
    )
    def import_incidents(self, request, format=None):
        dry_run = parse_bool(request.query_params.get("dry_run", "false"), "dry_run")
        rows = request_rows(request, columns=s.ImportRowSerializer.Meta.fields)
        serializer = s.ImportRowSerializer(
            data=rows, many=True, context=self.get_serializer_context()
        )
        if not serializer.is_valid():
            raise ImportRefused(row_errors(serializer.errors))
        duplicates = duplicate_rows(serializer.validated_data)
        if duplicates:
            raise ImportRefused(duplicates, "Nothing was imported: repeated external ids.")
        result = incidents_import(rows=serializer.validated_data, dry_run=dry_run)
        if result.errors:
            raise ImportRefused(result.errors)
        result.skipped = skipped_as_seen_by(request.user, result.skipped)
        code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        return Response(s.ImportResultSerializer(result).data, status=code)
