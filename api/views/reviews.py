"""/api/v1/reviews/: start, edit with versions (409 on a conflict), publish, export, survey.

Every write is a service of `reviews.services`; a section conflict (`SectionConflict`) is
answered with a 409 that carries what is stored now, and the update is saved all or not at all.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import serializers as s
from api.exceptions import Conflict
from api.filters import ReviewFilter
from api.permissions import allow
from api.review_export import MarkdownRenderer
from api.schema import ErrorSerializer
from api.views.common import FORMAT_PARAMETER, ApiViewSet, require
from api.views.incidents import incident_rows
from incidents.models import Incident
from reviews import rules
from reviews import services as review_services
from reviews.freeze import unless_published
from reviews.markdown import review_markdown
from reviews.models import ActionItem, Participant, Review

REVIEW_CONFLICT = OpenApiResponse(
    s.ReviewConflictSerializer,
    description="Someone changed a section since the version you sent: nothing of the update "
    "was saved (no section, no other field); the answer carries what is stored now. Reload, "
    "merge, send again.",
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

    def perform_destroy(self, instance):
        with unless_published(instance):
            instance.delete()

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
    def publish(self, request, pk=None, format=None):
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
            409: OpenApiResponse(
                ErrorSerializer, description="The review is not published yet: nothing to export."
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None, format=None):
        review = self.get_object()
        if not review.is_published:
            raise Conflict("Only a published review exports; this one is not published yet.")
        if request.accepted_renderer.format == "md":
            return Response(review_markdown(review))
        report = (
            Review.objects.select_related("facilitator")
            .prefetch_related(
                Prefetch("incident", queryset=incident_rows(Incident.objects.all(), detail=True)),
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
    def survey(self, request, pk=None, format=None):
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
            "it; nothing of this update was saved.",
            "section": section,
            "current_text": outcome.current_text,
            "changed_by": outcome.changed_by,
            "version": outcome.review.version,
        }


@contextmanager
def _conflict_as_409():
    """A text section someone changed meanwhile (nothing of the update saved) becomes a 409."""
    try:
        yield
    except review_services.SectionConflict as conflict:
        raise ReviewConflict(section=conflict.section, outcome=conflict.outcome) from conflict
