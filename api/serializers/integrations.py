"""The payloads integrations post: Alertmanager's webhook (version 4) and PagerDuty's v3
webhook, checked field by field before anything is applied, and what the receivers answer.

Field names are the senders' own (camelCase for Alertmanager), so the schema documents the
payload exactly as it arrives."""

from __future__ import annotations

from rest_framework import serializers

from integrations.models import Delivery
from integrations.services import Alert, Notification, PagerDutyIncidentEvent
from integrations.services.alertmanager import FIRING, RESOLVED, fingerprint_of
from integrations.services.pagerduty import HANDLED

# Alertmanager's max_alerts caps a notification; past this many, set it (the rest are counted
# in truncatedAlerts).
MAX_ALERTS = 1000
# Alertmanager writes a zero time ("0001-01-01T00:00:00Z") for an end it does not know.
_UNSET_BEFORE_YEAR = 1970


class SafeDateTimeField(serializers.DateTimeField):
    """An RFC 3339 time; one at the edge of the calendar (year 1 with an offset) is invalid
    rather than an overflow (a 500)."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except (OverflowError, OSError):
            self.fail("invalid", format="RFC 3339")


class _StringField(serializers.CharField):
    """A JSON string, and only that: DRF's CharField would take 3 for "3"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LabelSetField(serializers.DictField):
    """Labels or annotations: names to string values."""

    child = _StringField(allow_blank=True, trim_whitespace=False, max_length=10_000)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        for name in value:
            if not name or len(name) > 1000 or "\x00" in name:
                raise serializers.ValidationError(f"Invalid label name {name[:40]!r}.")
        return value


class AlertmanagerAlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField([FIRING, RESOLVED])
    labels = LabelSetField()
    annotations = LabelSetField(required=False, default=dict)
    startsAt = SafeDateTimeField()
    endsAt = SafeDateTimeField(required=False, allow_null=True, default=None)
    generatorURL = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10_000
    )
    fingerprint = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    def validate(self, attrs):
        starts, ends = attrs["startsAt"], attrs["endsAt"]
        if starts.year < _UNSET_BEFORE_YEAR:
            raise serializers.ValidationError({"startsAt": ["The alert's start is not set."]})
        if ends is not None and ends.year < _UNSET_BEFORE_YEAR:
            attrs["endsAt"] = ends = None
        if attrs["status"] == RESOLVED:
            if ends is None:
                raise serializers.ValidationError(
                    {"endsAt": ["A resolved alert needs the time it ended."]}
                )
            if ends < starts:
                raise serializers.ValidationError({"endsAt": ["It ends before it starts."]})
        return attrs


class AlertmanagerNotificationSerializer(serializers.Serializer):
    """Alertmanager's webhook payload, version 4 (its webhook_config documentation)."""

    version = serializers.CharField(help_text='"4": the only version Alertmanager sends.')
    groupKey = serializers.CharField(max_length=10_000, trim_whitespace=False)
    truncatedAlerts = serializers.IntegerField(required=False, default=0, min_value=0)
    status = serializers.ChoiceField([FIRING, RESOLVED])
    receiver = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    groupLabels = LabelSetField(required=False, default=dict)
    commonLabels = LabelSetField(required=False, default=dict)
    commonAnnotations = LabelSetField(required=False, default=dict)
    externalURL = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    alerts = AlertmanagerAlertSerializer(many=True, allow_empty=False, max_length=MAX_ALERTS)

    def validate_version(self, value):
        if value != "4":
            raise serializers.ValidationError(
                f"Unsupported payload version {value[:20]!r}: this receiver reads version 4."
            )
        return value

    def notification(self) -> Notification:
        data = self.validated_data
        return Notification(
            group_key=data["groupKey"],
            status=data["status"],
            group_labels=data["groupLabels"],
            common_annotations=data["commonAnnotations"],
            external_url=data.get("externalURL", ""),
            alerts=tuple(
                Alert(
                    status=alert["status"],
                    labels=alert["labels"],
                    annotations=alert["annotations"],
                    starts_at=alert["startsAt"],
                    ends_at=alert["endsAt"] if alert["status"] == RESOLVED else None,
                    generator_url=alert["generatorURL"],
                    fingerprint=alert["fingerprint"] or fingerprint_of(alert["labels"]),
                )
                for alert in data["alerts"]
            ),
        )


class _Reference(serializers.Serializer):
    """A PagerDuty reference to another object: its `summary` is its name."""

    id = serializers.CharField(required=False, max_length=100)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class PagerDutyIncidentSerializer(serializers.Serializer):
    """`event.data` of an `incident.*` event: the incident as it is now."""

    id = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(["incident"])
    title = serializers.CharField(max_length=10_000)
    created_at = SafeDateTimeField()
    html_url = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    status = serializers.CharField(required=False, max_length=50)
    service = _Reference(required=False, allow_null=True, default=None)
    priority = _Reference(required=False, allow_null=True, default=None)
    urgency = serializers.CharField(required=False, allow_null=True, max_length=50, default=None)


class PagerDutyEventSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    event_type = serializers.CharField(max_length=100)
    resource_type = serializers.CharField(required=False, max_length=100)
    occurred_at = SafeDateTimeField()
    agent = _Reference(required=False, allow_null=True, default=None)
    data = serializers.DictField(
        help_text="For incident.* events, the incident (PagerDutyIncident)."
    )

    def validate(self, attrs):
        if attrs["event_type"] in HANDLED:
            incident = PagerDutyIncidentSerializer(data=attrs["data"])
            if not incident.is_valid():
                raise serializers.ValidationError({"data": incident.errors})
            attrs["data"] = incident.validated_data
        return attrs


class PagerDutyWebhookSerializer(serializers.Serializer):
    """PagerDuty's v3 webhook payload: one event."""

    event = PagerDutyEventSerializer()

    def incident_event(self) -> PagerDutyIncidentEvent | None:
        """The event, when it is about an incident in a way that matters here."""
        event = self.validated_data["event"]
        if event["event_type"] not in HANDLED:
            return None
        data = event["data"]
        return PagerDutyIncidentEvent(
            event_id=event["id"],
            event_type=event["event_type"],
            occurred_at=event["occurred_at"],
            agent=(event["agent"] or {}).get("summary", ""),
            incident_id=data["id"],
            title=data["title"],
            created_at=data["created_at"],
            html_url=data["html_url"],
            service=(data["service"] or {}).get("summary", "").strip()[:100],
            priority=(data["priority"] or {}).get("summary") or None,
            urgency=data["urgency"],
        )


class WebhookResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        Delivery.Outcome.choices, help_text="What the delivery did (also in the delivery log)."
    )
    incidents = serializers.ListField(
        child=serializers.CharField(),
        help_text="References of the incidents it opened or touched (private ones left out).",
    )
