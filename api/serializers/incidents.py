"""Incidents: the list row (IncidentSerializer) and one incident with what hangs off it
(IncidentDetailSerializer). Writes go through `incidents.services`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import ModelCleanMixin, request_user, slug_field, user_field
from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    OwnershipGap,
    Surprise,
    System,
    Team,
    TimelineEntry,
)
from incidents.services import (
    EXTERNAL_ID_TAKEN,
    external_id_taken,
    incident_create,
    incident_save,
)
from reviews.models import Review


class IncidentSystemSerializer(serializers.ModelSerializer):
    system = slug_field(System)
    name = serializers.CharField(source="system.name", read_only=True)
    owner_team = serializers.SlugRelatedField(
        source="system.owner_team", slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = IncidentSystem
        fields = ["system", "name", "owner_team", "role"]

    def validate(self, attrs):
        # A PATCH's `partial` reaches nested fields through the root serializer and would let
        # an entry without its system through; but `systems` replaces the incident's list
        # whole, so each entry needs its system even then.
        if "system" not in attrs:
            required = self.fields["system"].error_messages["required"]
            raise serializers.ValidationError({"system": [required]})
        return attrs


class IncidentSerializer(ModelCleanMixin, serializers.ModelSerializer):
    systems = IncidentSystemSerializer(source="system_roles", many=True, required=False)
    teams = slug_field(Team, many=True, required=False)
    lead = user_field(allow_null=True, required=False)
    responders = user_field(many=True, required=False)
    review_status = serializers.SerializerMethodField()
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)
    caused_by = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(),
        allow_null=True,
        required=False,
        help_text="The id of the deployment that triggered it (`/api/v1/deployments/`); "
        "naming one sets `triggered_by_change`.",
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "web_url",
            "title",
            "summary",
            "severity",
            "status",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "systems",
            "teams",
            "lead",
            "responders",
            "customer_impact",
            "is_private",
            "caused_by",
            "triggered_by_change",
            "source",
            "external_id",
            "review_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reference"]
        # (source, external_id) is handled by the view: a repeat returns the existing incident.
        validators: list = []

    @extend_schema_field(
        {"type": "string", "nullable": True, "enum": [*Review.Status.values, None]}
    )
    def get_review_status(self, incident) -> str | None:
        try:
            return incident.review.status
        except Review.DoesNotExist:
            return None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None:
            # An edit may not take another incident's (source, external_id): a field error,
            # not the database's IntegrityError.
            source = attrs.get("source", self.instance.source)
            external_id = attrs.get("external_id", self.instance.external_id)
            if external_id_taken(source=source, external_id=external_id, other_than=self.instance):
                raise serializers.ValidationError({"external_id": [EXTERNAL_ID_TAKEN]})
        return attrs

    def validate_systems(self, value):
        slugs = [item["system"].slug for item in value]
        repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if repeated:
            raise serializers.ValidationError(f"Each system once: {', '.join(repeated)} repeated.")
        return value

    def create(self, validated_data):
        return incident_create(data=validated_data, created_by=request_user(self))

    def update(self, instance, validated_data):
        return incident_save(incident=instance, data=validated_data)


class IncidentSurpriseSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Surprise
        fields = ["id", "system", "expected", "observed", "noticed_at"]


class IncidentDifficultySerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Difficulty
        fields = ["id", "system", "category", "description"]


class IncidentOwnershipGapSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = OwnershipGap
        fields = ["id", "system", "kind", "description", "resolved"]


class IncidentTimelineSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "text", "evidence_url", "author"]


class IncidentDetailSerializer(IncidentSerializer):
    """One incident with what hangs off it: timeline, signals, themes and its review."""

    timeline = IncidentTimelineSerializer(many=True, read_only=True)
    surprises = IncidentSurpriseSerializer(many=True, read_only=True)
    difficulties = IncidentDifficultySerializer(many=True, read_only=True)
    ownership_gaps = IncidentOwnershipGapSerializer(many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    review = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "timeline",
            "surprises",
            "difficulties",
            "ownership_gaps",
            "themes",
            "review",
        ]
