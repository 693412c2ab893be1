"""Reviews: editing one (with the version that guards its text sections), its 409 answer,
the published report, and the learning survey."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import IncidentReferenceField, user_field
from api.serializers.incidents import IncidentDetailSerializer
from incidents.models import Theme
from reviews.models import ActionItem, Review, SurveyResponse
from reviews.sections import TEXT_SECTIONS


class _IncidentThemesField(serializers.ManyRelatedField):
    """A review's themes are its incident's (the codebook tags incidents)."""

    def get_attribute(self, instance):
        return instance.incident.themes.all()


class ReviewSerializer(serializers.ModelSerializer):
    incident = IncidentReferenceField()
    facilitator = user_field(allow_null=True, required=False)
    themes = _IncidentThemesField(
        child_relation=serializers.SlugRelatedField(
            slug_field="slug", queryset=Theme.objects.all()
        ),
        required=False,
        help_text="Slugs of the codebook themes the incident is tagged with.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            "The version you loaded. Send it with changed text sections: if someone changed a "
            "section since, the answer is 409 with the current text instead of overwriting it."
        ),
    )
    status = serializers.ChoiceField(
        choices=[choice for choice in Review.Status.choices if choice[0] != "published"],
        required=False,
        help_text="Publish with POST /api/v1/reviews/{id}/publish/.",
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "incident",
            "facilitator",
            "status",
            "scheduled_for",
            "published_at",
            *TEXT_SECTIONS,
            "themes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["published_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["status"] = instance.status  # "published" too, which is not writable here
        return data

    def validate_incident(self, value):
        if self.instance is not None and value != self.instance.incident:
            raise serializers.ValidationError("A review stays with its incident.")
        if self.instance is None and Review.objects.filter(incident=value).exists():
            raise serializers.ValidationError("This incident already has a review.")
        return value


class ReviewOutputSerializer(ReviewSerializer):
    status = serializers.ChoiceField(choices=Review.Status.choices, read_only=True)


class ReviewConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    section = serializers.CharField()
    current_text = serializers.CharField(help_text="What is stored now.")
    changed_by = serializers.CharField()
    version = serializers.IntegerField(help_text="The current version: send it with the merge.")


# --- review report ---------------------------------------------------------------------------


class ReportActionItemSerializer(serializers.ModelSerializer):
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "description",
            "owner_team",
            "assignee",
            "due_date",
            "status",
            "kind",
            "external_url",
        ]


class ReviewReportSerializer(serializers.ModelSerializer):
    """A published review as one document: the review, its incident and its follow-ups."""

    incident = IncidentDetailSerializer(read_only=True)
    facilitator = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    action_items = ReportActionItemSerializer(many=True, read_only=True)
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "status",
            "published_at",
            "facilitator",
            *TEXT_SECTIONS,
            "participants",
            "incident",
            "action_items",
        ]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "role": {"type": "string"},
                    "interviewed": {"type": "boolean"},
                },
            },
        }
    )
    def get_participants(self, review):
        return [
            {
                "name": participant.display_name,
                "role": participant.role,
                "interviewed": participant.was_interviewed,
            }
            for participant in review.participants.all()
        ]


# --- survey ----------------------------------------------------------------------------------


class SurveyAnswerSerializer(serializers.ModelSerializer):
    respondent = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "learned_something",
            "would_attend_again",
            "still_unclear",
            "respondent",
            "submitted_at",
        ]
        read_only_fields = ["submitted_at"]
