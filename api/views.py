"""The /api/v1/ resources: thin viewsets over the shared rules, FilterSets and services.

Who may do what comes from `reviews/rules.py` (through `api.permissions.RoleRules`); what a
user may see comes from the `visible_to` querysets, so a hidden incident is a 404.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import serializers as s
from api.base import ApiMixin
from api.exceptions import Conflict
from api.exports import (
    INCIDENT_EXPORT_COLUMNS,
    NEAR_MISS_EXPORT_COLUMNS,
    incident_export_queryset,
    near_miss_export_queryset,
    stream_export,
    stream_serialized_csv,
)
from api.filters import (
    ActionItemFilter,
    ParticipantFilter,
    ReviewFilter,
    SystemFilter,
    TimelineEntryFilter,
)
from api.importing import duplicate_rows, parse_bool, request_rows, row_errors
from api.permissions import RoleRules, allow
from api.renderers import CSVRenderer
from api.review_export import MarkdownRenderer
from api.schema import ErrorSerializer
from incidents.filters import DifficultyFilter, NearMissFilter, OwnershipGapFilter, SurpriseFilter
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
    Theme,
    TimelineEntry,
)
from incidents.services import incident_create_or_get, incidents_import
from reviews import rules
from reviews import services as review_services
from reviews.filters import IncidentFilter
from reviews.markdown import review_markdown
from reviews.models import ActionItem, Participant, Review

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv` downloads the whole filtered list as CSV (not paginated, streamed); "
    "`Accept: text/csv` does the same.",
)
# An import file may be bigger than an ordinary request body.
IMPORT_MAX_BYTES = 20 * 1024 * 1024


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
        serializer.save(**save_kwargs)


# --- catalog ---------------------------------------------------------------------------------


class CatalogRules:
    def may_create(self, user):
        return allow(rules.can_edit_catalog(user), "Only administrators edit the catalog.")

    def may_change(self, user, obj):
        return self.may_create(user)


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class TeamViewSet(CatalogRules, ApiViewSet):
    queryset = Team.objects.all()
    serializer_class = s.TeamSerializer
    lookup_field = "slug"
    filterset_class = None
    ordering_fields = ["name", "slug"]
    ordering = ["name"]
    csv_name = "teams"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class SystemViewSet(CatalogRules, ApiViewSet):
    queryset = System.objects.select_related("owner_team")
    serializer_class = s.SystemSerializer
    lookup_field = "slug"
    filterset_class = SystemFilter
    ordering_fields = ["name", "slug", "tier"]
    ordering = ["name"]
    csv_name = "systems"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ThemeViewSet(ApiViewSet):
    queryset = Theme.objects.all()
    serializer_class = s.ThemeSerializer
    lookup_field = "slug"
    filterset_class = None
    ordering_fields = ["name", "slug"]
    ordering = ["name"]
    csv_name = "themes"

    def may_create(self, user):
        return allow(rules.is_facilitator(user), "Only facilitators edit the theme codebook.")

    def may_change(self, user, obj):
        return self.may_create(user)


# --- incidents -------------------------------------------------------------------------------


def _incident_rows(queryset, *, detail: bool):
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


class _FlatExport:
    """A resource with an `export` action: CSV only, filtered like the list."""

    csv_actions = frozenset({"list", "export"})
    list_actions = frozenset({"list", "export"})

    def get_renderers(self):
        if self.action == "export":
            return [CSVRenderer()]
        return super().get_renderers()


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
class IncidentViewSet(_FlatExport, ApiViewSet):
    serializer_class = s.IncidentSerializer
    lookup_field = "reference"
    filterset_class = IncidentFilter
    ordering_fields = ["started_at", "severity", "status", "reference", "title", "created_at"]
    ordering = ["-started_at"]
    extra_query_params = {"import_incidents": {"dry_run"}}
    csv_name = "incidents"

    def get_queryset(self):
        return _incident_rows(
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
        return allow(
            rules.is_responder(user) and rules.can_view_incident(user, obj),
            "Only responders and facilitators edit incidents.",
        )

    def may_delete(self, user, obj):
        return allow(rules.is_facilitator(user), "Only facilitators delete incidents.")

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
    def export(self, request):
        queryset = self.filter_queryset(Incident.objects.visible_to(request.user))
        lines = stream_export(incident_export_queryset(queryset), INCIDENT_EXPORT_COLUMNS)
        return csv_response(lines, "incidents.csv")

    @extend_schema(
        summary="Import incidents (JSON array or CSV file), all or nothing",
        description=(
            "POST a JSON array of incidents (`ImportRow`), or a CSV file as multipart field "
            "`file` with one incident per row: columns as in ImportRow; `systems` as "
            "`name:role; name:role`, `teams` as `slug; slug`, and `surprises`, `difficulties`, "
            "`ownership_gaps` as JSON arrays. The whole file is validated first; any error "
            "and nothing is written (400 with one entry per row and field). Systems named but "
            "unknown are created without an owner and listed in `systems_created`. A row whose "
            "(source, external_id) exists is skipped, so an import can be re-run. "
            "`?dry_run=true` validates and reports without writing."
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
        parser_classes=[JSONParser, MultiPartParser, FormParser],
        max_body_bytes=IMPORT_MAX_BYTES,
    )
    def import_incidents(self, request):
        dry_run = parse_bool(request.query_params.get("dry_run", "false"), "dry_run")
        rows = request_rows(request)
        serializer = s.ImportRowSerializer(
            data=rows, many=True, context=self.get_serializer_context()
        )
        if not serializer.is_valid():
            errors = row_errors(serializer.errors)
            return Response(
                {"detail": f"Nothing was imported: {len(errors)} error(s).", "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        duplicates = duplicate_rows(serializer.validated_data)
        if duplicates:
            return Response(
                {"detail": "Nothing was imported: repeated external ids.", "errors": duplicates},
                status=status.HTTP_400_BAD_REQUEST,
            )
        result = incidents_import(rows=serializer.validated_data, dry_run=dry_run)
        code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        return Response(s.ImportResultSerializer(result).data, status=code)


# --- near misses -----------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class NearMissViewSet(_FlatExport, ApiViewSet):
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
    def export(self, request):
        queryset = self.filter_queryset(NearMiss.objects.all())
        lines = stream_export(near_miss_export_queryset(queryset), NEAR_MISS_EXPORT_COLUMNS)
        return csv_response(lines, "near-misses.csv")


# --- signals and timeline --------------------------------------------------------------------


class _ContributionRules:
    """Signals and timeline entries: what responders add to an incident (or near miss)."""

    def _may_contribute(self, user, incident):
        if incident is not None:
            return allow(
                rules.can_contribute_to_incident(user, incident),
                "Only responders and facilitators add to an incident, and not once its review "
                "is published.",
            )
        return allow(rules.is_responder(user), "Only responders and facilitators add signals.")

    def may_create(self, user):
        return allow(rules.is_responder(user), "Only responders and facilitators add signals.")

    def check_create(self, user, validated_data):
        return self._may_contribute(user, validated_data.get("incident"))

    def may_change(self, user, obj):
        return self._may_contribute(user, obj.incident)

    def may_delete(self, user, obj):
        if rules.can_delete_contribution(user, obj.incident):
            return True
        # Refused: say which half of the rule failed, the role or the incident's state.
        if not rules.is_facilitator(user):
            return allow(False, "Only facilitators delete what responders recorded.")
        return self.may_change(user, obj)


class _SignalViewSet(_ContributionRules, ApiViewSet):
    ordering_fields = ["created_at", "id"]
    ordering = ["id"]
    model: type
    related = ("incident", "near_miss", "system")
    prefetched = ("themes",)

    def get_queryset(self):
        return (
            self.model.objects.visible_to(self.request.user)
            .select_related(*self.related)
            .prefetch_related(*self.prefetched)
        )


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class SurpriseViewSet(_SignalViewSet):
    model = Surprise
    serializer_class = s.SurpriseSerializer
    filterset_class = SurpriseFilter
    csv_name = "surprises"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class DifficultyViewSet(_SignalViewSet):
    model = Difficulty
    serializer_class = s.DifficultySerializer
    filterset_class = DifficultyFilter
    csv_name = "difficulties"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class OwnershipGapViewSet(_SignalViewSet):
    model = OwnershipGap
    related = (*_SignalViewSet.related, "resolved_by_team")
    prefetched = ()
    serializer_class = s.OwnershipGapSerializer
    filterset_class = OwnershipGapFilter
    csv_name = "ownership-gaps"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class TimelineEntryViewSet(_ContributionRules, ApiViewSet):
    serializer_class = s.TimelineEntrySerializer
    filterset_class = TimelineEntryFilter
    ordering_fields = ["at", "created_at", "id"]
    ordering = ["at"]
    csv_name = "timeline-entries"

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user)
        return TimelineEntry.objects.filter(incident__in=visible).select_related(
            "incident", "author"
        )

    def may_create(self, user):
        return allow(rules.is_responder(user), "Only responders and facilitators edit timelines.")

    def perform_create(self, serializer, **save_kwargs):
        super().perform_create(serializer, author=self.request.user, **save_kwargs)


# --- reviews ---------------------------------------------------------------------------------


REVIEW_CONFLICT = OpenApiResponse(
    s.ReviewConflictSerializer,
    description="Someone changed a section since the version you sent: nothing of that section "
    "was saved; the answer carries what is stored now. Reload, merge, send again.",
)


@extend_schema_view(
    list=extend_schema(parameters=[FORMAT_PARAMETER]),
    create=extend_schema(
        description="Start the review of an incident (facilitators): the lead and responders "
        "become participants and the status becomes in_progress."
    ),
    update=extend_schema(responses={200: s.ReviewOutputSerializer, 409: REVIEW_CONFLICT}),
    partial_update=extend_schema(responses={200: s.ReviewOutputSerializer, 409: REVIEW_CONFLICT}),
)
class ReviewViewSet(ApiViewSet):
    serializer_class = s.ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "published_at", "scheduled_for", "id"]
    ordering = ["-created_at"]
    csv_name = "reviews"

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user)
        return (
            Review.objects.filter(incident__in=visible)
            .select_related("incident", "facilitator")
            .prefetch_related("incident__themes")
        )

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return s.ReviewOutputSerializer
        return s.ReviewSerializer

    def may_create(self, user):
        return allow(rules.is_facilitator(user), "Only facilitators start reviews.")

    def check_create(self, user, validated_data):
        return allow(
            rules.can_create_review(user, validated_data["incident"]),
            "Only facilitators start reviews.",
        )

    def may_change(self, user, obj):
        if obj.is_published:
            return allow(False, "A published review is read-only.")
        return allow(rules.can_run_review(user, obj), "Only facilitators run reviews.")

    def _output(self, review, code=status.HTTP_200_OK):
        review = self.get_queryset().get(pk=review.pk)
        return Response(
            s.ReviewOutputSerializer(review, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        require(self.check_create(request.user, serializer.validated_data))
        data = dict(serializer.validated_data)
        incident = data.pop("incident")
        data.pop("version", None)
        with _conflict_as_409():
            review = review_services.review_create(
                incident=incident, facilitator=request.user, data=data
            )
        return self._output(review, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        review = self.get_object()
        serializer = self.get_serializer(review, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("incident", None)
        version = data.pop("version", review.version)
        with _conflict_as_409():
            review_services.review_update(review=review, data=data, version=version)
        return self._output(review)

    @extend_schema(
        summary="Publish the review (it becomes a read-only report)",
        request=None,
        responses={200: s.ReviewOutputSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        review = self.get_object()
        require(self.may_change(request.user, review))
        review_services.review_publish(review=review, user=request.user)
        return self._output(review)

    @extend_schema(
        summary="Export a published review as JSON or Markdown",
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "md"])],
        responses={
            (200, "application/json"): s.ReviewReportSerializer,
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="Markdown"),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        review = self.get_object()
        if not review.is_published:
            raise Conflict("Only a published review exports; this one is not published yet.")
        if request.accepted_renderer.format == "md":
            return Response(review_markdown(review))
        report = (
            Review.objects.select_related("facilitator")
            .prefetch_related(
                Prefetch("incident", queryset=_incident_rows(Incident.objects.all(), detail=True)),
                Prefetch(
                    "action_items",
                    queryset=ActionItem.objects.select_related("owner_team", "assignee"),
                ),
                Prefetch("participants", queryset=Participant.objects.select_related("user")),
            )
            .get(pk=review.pk)
        )
        return Response(
            s.ReviewReportSerializer(report, context=self.get_serializer_context()).data
        )

    def get_renderers(self):
        if getattr(self, "action", None) == "export":
            return [JSONRenderer(), MarkdownRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="Answer the learning survey of a published review (participants)",
        description="One answer per person; answering again replaces the earlier answer.",
        request=s.SurveyAnswerSerializer,
        responses={200: s.SurveyAnswerSerializer},
    )
    # The survey has its own rule (can_answer_survey, checked below), not the review's.
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def survey(self, request, pk=None):
        review = self.get_object()
        if not rules.can_answer_survey(request.user, review):
            raise PermissionDenied(
                "The survey is for the review's participants, once it is published."
            )
        serializer = s.SurveyAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = review_services.survey_response_submit(
            review=review, respondent=request.user, **serializer.validated_data
        )
        return Response(s.SurveyAnswerSerializer(answer).data)


class ReviewConflict(Conflict):
    def __init__(self, *, section: str, outcome: review_services.SectionSave):
        super().__init__(f"Someone changed the {section} since you loaded it.")
        # Sent as it is (DRF would turn every value into a string).
        self.body = {
            "detail": f"Someone changed the {section.replace('_', ' ')} since you loaded "
            "it; nothing of it was saved.",
            "section": section,
            "current_text": outcome.current_text,
            "changed_by": outcome.changed_by,
            "version": outcome.review.version,
        }


@contextmanager
def _conflict_as_409():
    """A text section someone changed meanwhile (nothing of it saved) becomes a 409."""
    try:
        yield
    except review_services.SectionConflict as conflict:
        raise ReviewConflict(section=conflict.section, outcome=conflict.outcome) from conflict


class _ReviewPartViewSet(ApiViewSet):
    """Follow-ups and participants: rows of a review, seen through its incident's visibility,
    added by whoever may run that review."""

    model: type
    related: tuple[str, ...] = ()
    create_denied: str

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user)
        return self.model.objects.filter(review__incident__in=visible).select_related(*self.related)

    def may_create(self, user):
        return allow(rules.is_facilitator(user), self.create_denied + ".")

    def check_create(self, user, validated_data):
        return allow(
            rules.can_run_review(user, validated_data["review"]),
            self.create_denied + ", and not once the review is published.",
        )


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ActionItemViewSet(_ReviewPartViewSet):
    model = ActionItem
    related = ("review__incident", "owner_team", "assignee")
    create_denied = "Only facilitators add follow-ups"
    serializer_class = s.ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "status", "created_at", "id"]
    ordering = ["due_date"]
    csv_name = "action-items"

    def may_change(self, user, obj):
        return allow(
            rules.can_run_review(user, obj.review) or rules.can_update_follow_up_status(user, obj),
            "Only facilitators, responders and the assignee update follow-ups.",
        )

    def may_delete(self, user, obj):
        return allow(rules.can_run_review(user, obj.review), "Only facilitators delete follow-ups.")

    def perform_update(self, serializer):
        item = serializer.instance
        if not rules.can_run_review(self.request.user, item.review):
            changed = {
                name
                for name, value in serializer.validated_data.items()
                if getattr(item, name) != value
            }
            if changed - {"status"}:
                raise PermissionDenied(
                    "You may change only the status of this follow-up "
                    f"(not {', '.join(sorted(changed - {'status'}))})."
                )
            if "status" in serializer.validated_data:
                review_services.follow_up_set_status(
                    action_item=item, status=serializer.validated_data["status"]
                )
            return
        serializer.save()


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ParticipantViewSet(_ReviewPartViewSet):
    """Who took part in the incident or the review, and whether they were interviewed."""

    model = Participant
    related = ("review", "user", "team")
    create_denied = "Only facilitators list participants"
    serializer_class = s.ParticipantSerializer
    filterset_class = ParticipantFilter
    ordering_fields = ["id", "interviewed_at"]
    ordering = ["id"]
    csv_name = "participants"

    def may_change(self, user, obj):
        return allow(
            rules.can_run_review(user, obj.review),
            "Only facilitators edit participants, and not once the review is published.",
        )
