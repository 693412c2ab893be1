"""The incident record: what happened, when, to which systems, and who was involved."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from incidents.models.catalog import System, Team
from incidents.models.deployment import Deployment


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 (critical)"
    SEV2 = "SEV2", "SEV2 (major)"
    SEV3 = "SEV3", "SEV3 (minor)"
    SEV4 = "SEV4", "SEV4 (low)"


def sees_every_incident(user) -> bool:
    """Whether the user may see every incident, private ones included (superusers)."""
    return user.is_superuser


def visible_incident_q(user, path: str) -> Q:
    """Rows whose incident, reached through `path`, the user may see (`visible_to`). No
    condition at all for who sees every incident, so a count or a page of those rows reads
    their own indexes without joining each to its incident."""
    if sees_every_incident(user):
        return Q()
    return Q(**{f"{path}__in": Incident.objects.visible_to(user)})


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public incidents, plus private ones the user leads, facilitates or responded to."""
        if sees_every_incident(user):
            return self
        if not user.is_authenticated:
            return self.filter(is_private=False)
        involved = Incident.responders.through.objects.filter(incident=OuterRef("pk"), user=user)
        return self.filter(
            Q(is_private=False) | Q(lead=user) | Q(review__facilitator=user) | Q(Exists(involved))
        )

    def with_signal_counts(self):
        """surprise_count, difficulty_count and ownership_gap_count, one subquery each:
        joining all three would multiply the rows and the counts."""

        def count(related_name):
            # The signal models are reached through their relation: they are defined after
            # Incident (signals.py), which they point to.
            model = self.model._meta.get_field(related_name).related_model
            rows = model.objects.filter(incident=OuterRef("pk")).order_by().values("incident")
            return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

        return self.annotate(
            surprise_count=count("surprises"),
            difficulty_count=count("difficulties"),
            ownership_gap_count=count("ownership_gaps"),
        )


class Incident(models.Model):
    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        API = "api", "API"
        ALERTMANAGER = "alertmanager", "Alertmanager"
        PAGERDUTY = "pagerduty", "PagerDuty"
        IMPORT = "import", "Import"

    # Set from the primary key right after the first insert, so two people logging
    # incidents at the same moment can never draw the same reference.
    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVESTIGATING)
    started_at = models.DateTimeField(help_text="When the problem began, as best known.")
    detected_at = models.DateTimeField(null=True, blank=True, help_text="When someone noticed.")
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    systems = models.ManyToManyField(
        "System", through="IncidentSystem", related_name="incidents", blank=True
    )
    teams = models.ManyToManyField(Team, related_name="incidents", blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_incidents",
    )
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="responded_incidents",
        blank=True,
        help_text="People involved; they may see the incident even when it is private.",
    )
    customer_impact = models.TextField(blank=True)
    is_private = models.BooleanField(
        "private",
        default=False,
        help_text="Security incidents: visible only to the lead, facilitator and responders.",
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The id in the source system (alert, page)."
    )
    # The change behind the incident: the deployment when it is known, or only that a change
    # (a deploy, a config push, a flag flip) triggered it. A deployment implies a change.
    caused_by = models.ForeignKey(
        Deployment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caused_incidents",
        help_text="The deployment that triggered the incident, when known.",
    )
    triggered_by_change = models.BooleanField(
        default=False,
        help_text="A change triggered it, even if the exact deployment is unknown.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="incident_unique_external_id_per_source",
                violation_error_message="An incident with this external id already exists for this source.",
            ),
            models.CheckConstraint(
                condition=Q(caused_by__isnull=True) | Q(triggered_by_change=True),
                name="incident_caused_by_a_deployment_is_triggered_by_a_change",
                violation_error_message="An incident caused by a deployment was triggered by a change.",
            ),
        ]
        indexes = [
            # Periods are ranges of started_at. The durations' medians are counted live over
            # the period (docs/rollups.md): with what they read in the index, PostgreSQL
            # reads the index alone, not a heap page per incident. Key columns, not INCLUDE,
            # which SQLite lacks.
            models.Index(
                fields=["started_at", "detected_at", "resolved_at", "id"],
                name="incident_started_durations",
            ),
            models.Index(fields=["severity", "started_at"]),
            models.Index(fields=["status"]),
            # The dashboards count the private incidents a viewer may see live beside the
            # public monthly rollups (docs/rollups.md): this finds the few in a period.
            models.Index(
                fields=["started_at"], condition=Q(is_private=True), name="incident_private_started"
            ),
            # ... and the deployments private incidents name as their cause, wherever they sit
            # in time (a failed deployment is placed by when it was deployed).
            models.Index(
                fields=["caused_by"],
                condition=Q(is_private=True, caused_by__isnull=False),
                name="incident_private_caused_by",
            ),
            # The deployments list filtered by the severity of the incidents they caused counts
            # the distinct causes of that severity (`DeploymentFilter.count_from_causes`):
            # from the index alone, already in cause order.
            models.Index(
                fields=["severity", "caused_by"],
                condition=Q(caused_by__isnull=False),
                name="incident_severity_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'INC-new'}: {self.title}"

    def save(self, *args, **kwargs):
        if self.caused_by_id is not None:
            # Naming the deployment says a change triggered it: keep the flag in step, so
            # "triggered by a change" counts every such incident.
            self.triggered_by_change = True
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "caused_by" in update_fields:
                kwargs["update_fields"] = {*update_fields, "triggered_by_change"}
        if self.reference:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.reference = self.reference_for(self.pk)
            type(self).objects.filter(pk=self.pk).update(reference=self.reference)

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.reference])

    # The order responders live through: each later moment may not precede an earlier one.
    TIMESTAMP_ORDER = ("started_at", "detected_at", "mitigated_at", "resolved_at")
    # A status that says a moment has passed needs that moment: time to resolve (and to
    # mitigate) counts only incidents whose time is set, so a resolved incident without it
    # would silently drop out of the figures. Resolving needs no mitigated time of its own:
    # the fix may have been the mitigation.
    MOMENT_OF_STATUS = {
        Status.MITIGATED: ("mitigated_at", "mitigated"),
        Status.RESOLVED: ("resolved_at", "resolved"),
        Status.CLOSED: ("resolved_at", "resolved"),
    }

    def clean(self):
        super().clean()
        # Before the check constraint is validated: a form that names the deployment but
        # leaves the box unticked means the same as save() makes of it.
        if self.caused_by_id is not None:
            self.triggered_by_change = True
        errors = {}
        if self.status in self.MOMENT_OF_STATUS:
            name, verb = self.MOMENT_OF_STATUS[self.status]
            if getattr(self, name) is None:
                status = self.Status(self.status).label.lower()
                errors[name] = f"A {status} incident needs the time it was {verb}."
        previous_name, previous_value = None, None
        for name in self.TIMESTAMP_ORDER:
            value = getattr(self, name)
            if value is None:
                continue
            if previous_value is not None and value < previous_value:
                label = self._meta.get_field(name).verbose_name
                previous_label = self._meta.get_field(previous_name).verbose_name
                errors[name] = f"{label.capitalize()} cannot be before {previous_label}."
            else:
                previous_name, previous_value = name, value
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def reference_for(pk: int) -> str:
        return f"INC-{pk:04d}"

    def _since_start(self, moment) -> timedelta | None:
        if moment is None or self.started_at is None:
            return None
        return moment - self.started_at

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start(self.detected_at)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start(self.resolved_at)


class IncidentSystem(models.Model):
    """The part a system played in an incident."""

    class Role(models.TextChoices):
        ORIGIN = "origin", "Origin"
        IMPACTED = "impacted", "Impacted"
        CONTRIBUTING = "contributing", "Contributing"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="system_roles")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="incident_roles")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.IMPACTED)

    class Meta:
        verbose_name = "system in incident"
        verbose_name_plural = "systems in incident"
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "system"], name="incident_system_once_per_incident"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system} ({self.get_role_display()})"
