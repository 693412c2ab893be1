"""Near misses. An anonymous near miss never carries its reporter: `reporter` is null and
nothing else names them. Writes go through `incidents.services`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import ModelCleanMixin, request_user, slug_field
from incidents.models import NearMiss, System
from incidents.services import near_miss_report, near_miss_update


class NearMissSerializer(ModelCleanMixin, serializers.ModelSerializer):
    systems = slug_field(System, many=True, required=False)
    anonymous = serializers.BooleanField(
        source="is_anonymous",
        required=False,
        help_text="Report without a name. The reporter is never stored, so it cannot leak.",
    )
    reporter = serializers.SerializerMethodField()

    class Meta:
        model = NearMiss
        fields = [
            "id",
            "title",
            "description",
            "occurred_at",
            "detected_at",
            "systems",
            "detection_method",
            "detected_by",
            "stopped_by",
            "worst_credible_outcome",
            "potential_severity",
            "contributing_factors",
            "narrative",
            "anonymous",
            "reporter",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_reporter(self, near_miss) -> str | None:
        """The reporter's username; null for an anonymous report."""
        if near_miss.is_anonymous:
            return None
        return near_miss.reported_by.get_username()

    def validate_anonymous(self, value):
        if self.instance is not None and self.instance.is_anonymous and not value:
            raise serializers.ValidationError(
                "An anonymous report stays anonymous: nobody knows who sent it."
            )
        return value

    def create(self, validated_data):
        data = dict(validated_data)
        anonymous = data.pop("is_anonymous", False)
        return near_miss_report(reporter=request_user(self), anonymous=anonymous, data=data)

    def update(self, instance, validated_data):
        return near_miss_update(near_miss=instance, data=validated_data)
