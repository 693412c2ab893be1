"""The incident import: one row (with its systems by name and its signals), the result, and
the per-row errors."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import ModelCleanMixin, slug_field, user_field
from incidents.models import Difficulty, Incident, IncidentSystem, OwnershipGap, Team


class ImportSystemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Unknown names become new systems.")
    role = serializers.ChoiceField(
        choices=IncidentSystem.Role.choices, default=IncidentSystem.Role.IMPACTED
    )


class ImportSurpriseSerializer(serializers.Serializer):
    expected = serializers.CharField()
    observed = serializers.CharField()
    noticed_at = serializers.DateTimeField(required=False, allow_null=True)
    noticed_by = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    system = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImportDifficultySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Difficulty.Category.choices)
    description = serializers.CharField()
    source = serializers.ChoiceField(
        choices=Difficulty.Source.choices, default=Difficulty.Source.DEBRIEF
    )
    minutes_lost = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    system = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImportOwnershipGapSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OwnershipGap.Kind.choices)
    description = serializers.CharField(required=False, allow_blank=True)
    minutes_to_find_owner = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    system = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImportRowSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """One incident of an import, with its systems (by name) and signals."""

    systems = ImportSystemSerializer(many=True, required=False)
    teams = slug_field(Team, many=True, required=False)
    lead = user_field(allow_null=True, required=False)
    surprises = ImportSurpriseSerializer(many=True, required=False)
    difficulties = ImportDifficultySerializer(many=True, required=False)
    ownership_gaps = ImportOwnershipGapSerializer(many=True, required=False)

    class Meta:
        model = Incident
        fields = [
            "title",
            "summary",
            "severity",
            "status",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "customer_impact",
            "is_private",
            "source",
            "external_id",
            "lead",
            "teams",
            "systems",
            "surprises",
            "difficulties",
            "ownership_gaps",
        ]
        extra_kwargs = {"source": {"default": Incident.Source.IMPORT}}
        validators: list = []

    def validate_systems(self, value):
        names = [item["name"].casefold() for item in value]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Each system once per incident.")
        return value


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.ListField(
        child=serializers.CharField(), help_text="References of the incidents created."
    )
    skipped = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rows whose (source, external_id) already exists: {row, reference}; the "
        "reference is null when that incident is private and hidden from you.",
    )
    systems_created = serializers.ListField(
        child=serializers.CharField(), help_text="Systems named but unknown: created without owner."
    )
    errors = serializers.ListField(child=serializers.DictField())


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text='Per row: [{"row": 3, "field": "severity", "message": ...}]',
    )
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="When the request as a whole is wrong (not a list, a bad `dry_run`).",
    )
