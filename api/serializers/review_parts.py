"""The rows of a review: its follow-ups (action items) and its participants."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import VisibleReviewField, slug_field, user_field
from incidents.models import Team
from reviews.models import ActionItem, Participant


class ActionItemSerializer(serializers.ModelSerializer):
    review = VisibleReviewField()
    incident = serializers.CharField(source="review.incident.reference", read_only=True)
    owner_team = slug_field(Team, allow_null=True, required=False)
    assignee = user_field(allow_null=True, required=False)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "review",
            "incident",
            "title",
            "description",
            "owner_team",
            "assignee",
            "due_date",
            "status",
            "kind",
            "external_url",
            "completed_at",
            "is_overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at"]

    def validate_review(self, value):
        if self.instance is not None and value != self.instance.review:
            raise serializers.ValidationError("A follow-up stays with its review.")
        return value


class ParticipantSerializer(serializers.ModelSerializer):
    review = VisibleReviewField()
    user = user_field(allow_null=True, required=False)
    team = slug_field(Team, allow_null=True, required=False)
    was_interviewed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Participant
        fields = [
            "id",
            "review",
            "user",
            "name",
            "role",
            "team",
            "interviewed_at",
            "interview_notes",
            "was_interviewed",
        ]

    def validate_review(self, value):
        if self.instance is not None and value != self.instance.review:
            raise serializers.ValidationError("A participant stays with their review.")
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs.get("user", getattr(self.instance, "user", None))
        name = attrs.get("name", getattr(self.instance, "name", ""))
        if user is None and not name:
            raise serializers.ValidationError({"name": ["Choose a user or type a name."]})
        return attrs
