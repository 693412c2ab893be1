"""Surprises, difficulties, ownership gaps and timeline entries: what responders record about
an incident (or, for the three signals, a near miss)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import IncidentReferenceField, ModelCleanMixin, slug_field
from incidents.models import (
    Difficulty,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
    Theme,
    TimelineEntry,
)


class _SubjectSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A surprise, difficulty or ownership gap: attached to one incident or one near miss."""

    incident = IncidentReferenceField(allow_null=True, required=False)
    near_miss = serializers.PrimaryKeyRelatedField(
        queryset=NearMiss.objects.all(), allow_null=True, required=False
    )
    system = slug_field(System, allow_null=True, required=False)

    SUBJECT_FIELDS = ["id", "incident", "near_miss", "system"]

    def validate(self, attrs):
        incident = attrs.get("incident", getattr(self.instance, "incident", None))
        near_miss = attrs.get("near_miss", getattr(self.instance, "near_miss", None))
        if self.instance is not None:
            moved = ("incident" in attrs and attrs["incident"] != self.instance.incident) or (
                "near_miss" in attrs and attrs["near_miss"] != self.instance.near_miss
            )
            if moved:
                raise serializers.ValidationError(
                    {"incident": ["A signal stays with the incident or near miss it was found in."]}
                )
        if (incident is None) == (near_miss is None):
            raise serializers.ValidationError(
                {"incident": ["Attach this to exactly one incident or one near miss."]}
            )
        return super().validate(attrs)


class SurpriseSerializer(_SubjectSerializer):
    themes = slug_field(Theme, many=True, required=False)

    class Meta:
        model = Surprise
        fields = [
            *_SubjectSerializer.SUBJECT_FIELDS,
            "expected",
            "observed",
            "noticed_at",
            "noticed_by",
            "notes",
            "themes",
            "created_at",
            "updated_at",
        ]


class DifficultySerializer(_SubjectSerializer):
    themes = slug_field(Theme, many=True, required=False)

    class Meta:
        model = Difficulty
        fields = [
            *_SubjectSerializer.SUBJECT_FIELDS,
            "category",
            "description",
            "source",
            "minutes_lost",
            "themes",
            "created_at",
            "updated_at",
        ]


class OwnershipGapSerializer(_SubjectSerializer):
    resolved_by_team = slug_field(Team, allow_null=True, required=False)

    class Meta:
        model = OwnershipGap
        fields = [
            *_SubjectSerializer.SUBJECT_FIELDS,
            "kind",
            "description",
            "minutes_to_find_owner",
            "resolved",
            "resolved_by_team",
            "created_at",
            "updated_at",
        ]


class TimelineEntrySerializer(ModelCleanMixin, serializers.ModelSerializer):
    incident = IncidentReferenceField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "incident", "at", "kind", "text", "evidence_url", "author", "created_at"]

    def validate_incident(self, value):
        if self.instance is not None and value != self.instance.incident:
            raise serializers.ValidationError("A timeline entry stays with its incident.")
        return value
