"""/api/v1/action-items/ and participants/: the rows of a review, added and edited by
whoever may run it (and a follow-up's status, by the people doing the work)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied

from api import serializers as s
from api.filters import ActionItemFilter, ParticipantFilter
from api.permissions import allow
from api.views.common import FORMAT_PARAMETER, ApiViewSet
from incidents.models import Incident
from reviews import rules
from reviews import services as review_services
from reviews.models import ActionItem, Participant


class _ReviewPartViewSet(ApiViewSet):
    """Follow-ups and participants: rows of a review, seen through its incident's visibility,
    added by whoever may run that review."""

    model: type
    related: tuple[str, ...] = ()
    create_denied: str
    frozen_with = "review"

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
        super().perform_update(serializer)


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

    # Adding one stays open after publication, as on the review page: the learning survey goes
    # to everyone listed, so someone forgotten must still be added (`rules.can_add_participant`).
    # Nothing published changes, so the freeze is not re-checked for an addition.
    def check_create(self, user, validated_data):
        return allow(
            rules.can_add_participant(user, validated_data["review"]),
            self.create_denied + ".",
        )

    def _frozen_by(self, source):
        if isinstance(source, dict):  # an addition
            return None
        return super()._frozen_by(source)
