"""Deployments: the exposure behind failure rates, recorded by CI, webhooks or imports.

Writes go through `incidents.services` (`deployment_create_or_get`, `deployments_record`):
a (source, external_id) already recorded returns the deployment that holds it.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import URLValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import request_user, slug_field
from incidents.models import PRODUCTION, Deployment, Incident, System

# A deployment is recorded after it happened: a time further ahead than clock skew explains
# is a mistake (a local time sent as UTC, milliseconds read as seconds).
CLOCK_SKEW = timedelta(minutes=10)


class DeploymentSerializer(serializers.ModelSerializer):
    system = slug_field(System, help_text="The deployed system's slug.")
    environment = serializers.CharField(
        max_length=100,
        default=PRODUCTION,
        help_text=f"Only `{PRODUCTION}` deployments count in the failure rates (compared "
        "case-insensitively).",
    )
    url = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="The CI run or release page (http or https).",
    )
    caused_incidents = serializers.SerializerMethodField(
        help_text="References of the incidents you may see that name this deployment as "
        "their cause."
    )

    class Meta:
        model = Deployment
        fields = [
            "id",
            "system",
            "deployed_at",
            "ref",
            "environment",
            "outcome",
            "source",
            "external_id",
            "url",
            "caused_incidents",
            "created_at",
        ]
        # (source, external_id) is handled by the service: a repeat returns the existing one.
        validators: list = []

    def validate_environment(self, value: str) -> str:
        value = Deployment.normalise_environment(value)
        if not value:
            raise serializers.ValidationError("Name the environment, e.g. production.")
        return value

    def validate_deployed_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(
                "A deployment is recorded once it happened: this time is in the future "
                "(send UTC, or an offset)."
            )
        return value

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_caused_incidents(self, deployment) -> list[str]:
        # The viewset prefetches the visible ones (`visible_caused`); this is for a single
        # deployment serialized on its own.
        visible = getattr(deployment, "visible_caused", None)
        if visible is None:
            user = request_user(self)
            if user is None or deployment.pk is None:
                return []
            visible = Incident.objects.visible_to(user).filter(caused_by=deployment)
        return [incident.reference for incident in visible]


class DeploymentBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Deployments this request recorded.")
    existing = serializers.IntegerField(
        help_text="Rows whose (source, external_id) was already recorded (or repeated an "
        "earlier row's): nothing new was stored for them."
    )
    results = DeploymentSerializer(many=True, help_text="One deployment per row, in order.")


class DeploymentImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField(
        help_text="Deployments recorded (a dry run: that would be recorded)."
    )
    existing = serializers.IntegerField(help_text="Rows already recorded: skipped.")


class WebhookDeploymentSerializer(DeploymentSerializer):
    """A deployment posted by a CD tool: when it is sent as it happens, the time may be left
    out (now), and the source defaults to `webhook`."""

    deployed_at = serializers.DateTimeField(
        required=False, help_text="When it reached the environment; default: now."
    )
    source = serializers.ChoiceField(
        choices=Deployment.Source.choices, default=Deployment.Source.WEBHOOK
    )

    class Meta(DeploymentSerializer.Meta):
        fields = [name for name in DeploymentSerializer.Meta.fields if name != "caused_incidents"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.setdefault("deployed_at", timezone.now())
        return attrs


class DeploymentReceiptSerializer(serializers.ModelSerializer):
    """What a webhook answers: the deployment as recorded, nothing of any incident (the
    caller is a machine with a shared token, not a person who may see incidents)."""

    system = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Deployment
        fields = [name for name in DeploymentSerializer.Meta.fields if name != "caused_incidents"]
        read_only_fields = fields


class GitHubWebhookResultSerializer(serializers.Serializer):
    recorded = serializers.BooleanField(
        help_text="Whether the delivery holds a deployment that is (now, or already) recorded."
    )
    detail = serializers.CharField()
    deployment = DeploymentReceiptSerializer(allow_null=True)


class DeploymentWebhookResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Deployments this delivery recorded.")
    existing = serializers.IntegerField(help_text="Already recorded: nothing new stored.")
    results = DeploymentReceiptSerializer(many=True, help_text="One per row, in order.")
