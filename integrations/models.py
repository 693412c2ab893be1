"""Integrations, the log of what each delivered, and what the receivers remember between
deliveries so that repeats, retries and late arrivals change nothing twice."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from incidents.models import Incident, Severity, Team, TimelineEntry

# Alertmanager's usual severity label values, and PagerDuty's priorities and urgencies.
DEFAULT_SEVERITY_MAPPING = {
    "alertmanager": {
        "critical": Severity.SEV1,
        "page": Severity.SEV1,
        "error": Severity.SEV2,
        "major": Severity.SEV2,
        "warning": Severity.SEV3,
        "minor": Severity.SEV3,
        "info": Severity.SEV4,
        "none": Severity.SEV4,
    },
    "pagerduty": {
        "P1": Severity.SEV1,
        "P2": Severity.SEV2,
        "P3": Severity.SEV3,
        "P4": Severity.SEV4,
        "P5": Severity.SEV4,
        "high": Severity.SEV2,
        "low": Severity.SEV4,
    },
}


def token_digest(token: str) -> str:
    """What is stored of a bearer token. A token is 256 random bits, so a plain SHA-256 is
    enough (a slow password hash guards guessable secrets, which these are not) and lets the
    token be found by an indexed lookup."""
    return hashlib.sha256(token.encode()).hexdigest()


class IntegrationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def by_token(self, *, kind: str, token: str) -> Integration | None:
        """The active integration of that kind whose token this is, else None."""
        if not token:
            return None
        return self.active().filter(kind=kind, token_hash=token_digest(token)).first()


class Integration(models.Model):
    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Alertmanager (webhook in)"
        PAGERDUTY = "pagerduty", "PagerDuty (v3 webhook in)"
        PROMETHEUS = "prometheus", "Prometheus (scrapes /metrics)"

    # The kinds that authenticate with a bearer token this app issues; PagerDuty signs its
    # deliveries with a secret PagerDuty issues instead.
    TOKEN_KINDS = (Kind.ALERTMANAGER, Kind.PROMETHEUS)
    # The kinds that open incidents, and so read the mapping settings.
    INCIDENT_KINDS = (Kind.ALERTMANAGER, Kind.PAGERDUTY)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(
        "active", default=True, help_text="An inactive integration's deliveries are refused (401)."
    )
    token_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        db_index=True,
        help_text="SHA-256 of the bearer token; the token itself is shown once, when issued.",
    )
    signing_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="PagerDuty only: the webhook subscription's signing secret, as PagerDuty "
        "showed it. Kept as given, since checking a signature needs the secret itself.",
    )
    system_label = models.CharField(
        max_length=100,
        default="service",
        help_text="Alertmanager: the alert label that names the system (PagerDuty: the "
        "service's name is the system).",
    )
    severity_label = models.CharField(
        max_length=100,
        default="severity",
        help_text="Alertmanager: the alert label that carries the severity.",
    )
    severity_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text="Label value (or PagerDuty priority, then urgency) to severity, e.g. "
        '{"critical": "SEV1", "warning": "SEV3"}. Empty: the usual values for the kind.',
    )
    default_severity = models.CharField(
        max_length=4,
        choices=Severity.choices,
        default=Severity.SEV3,
        help_text="When the mapping does not know the value, or it is missing.",
    )
    default_system = models.CharField(
        max_length=100,
        blank=True,
        help_text="The system named when an alert has no system label (empty: none).",
    )
    incident_source = models.CharField(
        "source",
        max_length=20,
        choices=Incident.Source.choices,
        blank=True,
        help_text="The source recorded on the incidents it opens (empty: the kind's own).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self):
        super().clean()
        errors = {}
        mapping = self.severity_mapping
        valid = set(Severity.values)
        if not isinstance(mapping, dict) or not all(
            isinstance(key, str) and value in valid for key, value in mapping.items()
        ):
            errors["severity_mapping"] = (
                "A JSON object from label value to one of " + ", ".join(sorted(valid)) + "."
            )
        if self.kind == self.Kind.PAGERDUTY and not self.signing_secret:
            errors["signing_secret"] = "PagerDuty deliveries are checked with this secret."
        if errors:
            raise ValidationError(errors)

    def issue_token(self) -> str:
        """A new bearer token, replacing any earlier one: only its digest is kept, so the
        caller shows the returned token once."""
        token = secrets.token_urlsafe(32)
        self.token_hash = token_digest(token)
        return token

    @property
    def uses_token(self) -> bool:
        return self.kind in self.TOKEN_KINDS

    @property
    def source(self) -> str:
        return self.incident_source or {
            self.Kind.ALERTMANAGER: Incident.Source.ALERTMANAGER,
            self.Kind.PAGERDUTY: Incident.Source.PAGERDUTY,
        }.get(self.kind, Incident.Source.API)

    def severity_for(self, *values: str | None) -> str:
        """The severity of the first value the mapping knows, else the default."""
        mapping = self.severity_mapping or DEFAULT_SEVERITY_MAPPING.get(self.kind, {})
        for value in values:
            if value is not None and value in mapping:
                return mapping[value]
        return self.default_severity


class DeliveryQuerySet(models.QuerySet):
    def older_than(self, days: int):
        return self.filter(received_at__lt=timezone.now() - timedelta(days=days))


class Delivery(models.Model):
    """One request an integration made, and what came of it (the admin shows the last ones)."""

    # Deliveries older than this are deleted as new ones arrive: the log is for seeing what
    # goes wrong now, not an archive (the incidents keep what matters).
    RETENTION_DAYS = 30

    class Outcome(models.TextChoices):
        CREATED = "created", "Incident opened"
        UPDATED = "updated", "Incident updated"
        UNCHANGED = "unchanged", "Nothing new (a repeat)"
        IGNORED = "ignored", "Ignored (not about an incident)"
        REJECTED = "rejected", "Rejected (bad request)"

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="deliveries"
    )
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField("HTTP status")
    error = models.TextField(blank=True)
    event_key = models.CharField(
        max_length=500, blank=True, help_text="Alertmanager's groupKey, PagerDuty's event id."
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["integration", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"


class AlertGroup(models.Model):
    """An Alertmanager alert group (its groupKey) of one integration: the row every delivery
    for the group locks, so concurrent deliveries of a group apply one after the other."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    key_digest = models.CharField(max_length=64)  # SHA-256 of the groupKey (any length)
    group_key = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "key_digest"], name="alert_group_once_per_integration"
            )
        ]

    def __str__(self) -> str:
        return self.group_key[:100]


class ReceivedAlert(models.Model):
    """One firing of one alert (its fingerprint and startsAt) and the incident it went to.

    A repeat of the same firing is found here, so it adds no second timeline entry; a firing
    with a new startsAt is a new row (the alert fired again)."""

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Set once it resolved.")
    severity = models.CharField(max_length=4, choices=Severity.choices)
    system = models.ForeignKey(
        "incidents.System", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fired_entry = models.ForeignKey(
        TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_entry = models.ForeignKey(
        TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "fingerprint", "starts_at"], name="received_alert_once"
            )
        ]
        indexes = [models.Index(fields=["incident"])]

    def __str__(self) -> str:
        return f"{self.fingerprint} from {self.starts_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_resolved(self) -> bool:
        return self.ends_at is not None


class PagerDutyEvent(models.Model):
    """A PagerDuty event applied, by its id: a redelivery of it changes nothing. Its type and
    time let later-arriving older events be weighed against newer ones."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=60)
    occurred_at = models.DateTimeField()
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=100, blank=True)  # the priority, for priority events

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "event_id"], name="pagerduty_event_once")
        ]
        indexes = [models.Index(fields=["incident", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class ReminderSent(models.Model):
    """A team's reminder digest delivered on one channel for one day (`send_reminders`).

    The row is written in the transaction that sends, and rolled back when the send fails: it
    exists only for a digest that went out, so a second run that day sends nothing more, and a
    failed one is tried again by the next run."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "reminder sent"
        verbose_name_plural = "reminders sent"
        ordering = ["-day", "team", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day", "channel"], name="one_reminder_per_team_day_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.day} {self.get_channel_display()}"
