"""/api/v1/surprises/, difficulties/, ownership-gaps/ and timeline-entries/: what responders
record about an incident (or, for the three signals, a near miss)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from api import serializers as s
from api.filters import TimelineEntryFilter
from api.permissions import allow
from api.views.common import FORMAT_PARAMETER, ApiViewSet
from incidents.filters import DifficultyFilter, OwnershipGapFilter, SurpriseFilter
from incidents.models import Difficulty, Incident, OwnershipGap, Surprise, TimelineEntry
from reviews import rules


class _ContributionRules:
    """Signals and timeline entries: what responders add to an incident (or near miss)."""

    frozen_with = "incident"

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
