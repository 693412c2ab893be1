"""Incidents, near misses and the signals teams learn from (DOMAIN.md, "the five signals").

Surprises, difficulties in understanding and ownership gaps each belong to exactly one
incident or exactly one near miss; the database enforces it, not only the forms.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.text import slugify
from simple_history.models import HistoricalRecords


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    contact = models.CharField(
        max_length=200, blank=True, help_text="Chat channel or e-mail address to reach the team."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SystemQuerySet(models.QuerySet):
    def without_owner(self):
        return self.filter(owner_team__isnull=True)


class System(models.Model):
    class Tier(models.IntegerChoices):
        CRITICAL = 1, "Tier 1 (critical)"
        HIGH = 2, "Tier 2 (high)"
        MEDIUM = 3, "Tier 3 (medium)"
        LOW = 4, "Tier 4 (low)"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="systems",
        help_text="Leave empty when nobody owns it: that is an ownership gap in itself.",
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.MEDIUM)

    objects = SystemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        super().save(*args, **kwargs)

    @property
    def has_owner(self) -> bool:
        return self.owner_team_id is not None


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 (critical)"
    SEV2 = "SEV2", "SEV2 (major)"
    SEV3 = "SEV3", "SEV3 (minor)"
    SEV4 = "SEV4", "SEV4 (low)"


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public incidents, plus private ones the user leads, facilitates or responded to."""
        if user.is_superuser:
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

        def count(model):
            rows = model.objects.filter(incident=OuterRef("pk")).order_by().values("incident")
            return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

        return self.annotate(
            surprise_count=count(Surprise),
            difficulty_count=count(Difficulty),
            ownership_gap_count=count(OwnershipGap),
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
        ]
        indexes = [
            models.Index(fields=["started_at"]),
            models.Index(fields=["severity", "started_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'INC-new'}: {self.title}"

    def save(self, *args, **kwargs):
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

    def clean(self):
        super().clean()
        errors = {}
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


class NearMiss(models.Model):
    """An event that almost became an incident. Cheap to report, anonymous if wanted."""

    class StoppedBy(models.TextChoices):
        SAFEGUARD = "safeguard", "A safeguard"
        PERSON = "person", "A person"
        AUTOMATION = "automation", "Automation"
        LUCK = "luck", "Luck"
        OTHER = "other", "Other"

    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What happened.")
    occurred_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    systems = models.ManyToManyField(System, related_name="near_misses", blank=True)
    detection_method = models.CharField("how it was caught", max_length=200, blank=True)
    detected_by = models.CharField("caught by", max_length=200, blank=True)
    stopped_by = models.CharField(
        "what stopped it", max_length=20, choices=StoppedBy.choices, default=StoppedBy.OTHER
    )
    worst_credible_outcome = models.TextField(blank=True)
    potential_severity = models.CharField(max_length=4, choices=Severity.choices, blank=True)
    contributing_factors = models.TextField(blank=True)
    narrative = models.TextField(blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_near_misses",
        help_text="Empty for an anonymous report.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "near miss"
        verbose_name_plural = "near misses"
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["occurred_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_anonymous(self) -> bool:
        return self.reported_by_id is None

    @property
    def reporter_display(self) -> str:
        """What every page shows for the reporter; an anonymous report names nobody."""
        return "Anonymous" if self.is_anonymous else str(self.reported_by)

    def clean(self):
        super().clean()
        if self.detected_at and self.occurred_at and self.detected_at < self.occurred_at:
            raise ValidationError({"detected_at": "Detected at cannot be before occurred at."})


class SignalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Signals of near misses and of the incidents the user may see."""
        if user.is_superuser:
            return self
        return self.filter(
            Q(incident__isnull=True) | Q(incident__in=Incident.objects.visible_to(user))
        )


def _subject_fields(related_name: str):
    """The incident, near miss and system foreign keys of a signal, named for reading
    (`incident.surprises`, `near_miss.ownership_gaps`, `system.difficulties`)."""
    return (
        models.ForeignKey(
            Incident, null=True, blank=True, on_delete=models.CASCADE, related_name=related_name
        ),
        models.ForeignKey(
            NearMiss, null=True, blank=True, on_delete=models.CASCADE, related_name=related_name
        ),
        models.ForeignKey(
            System, null=True, blank=True, on_delete=models.SET_NULL, related_name=related_name
        ),
    )


class Signal(models.Model):
    """What the signal models share: they hang off exactly one incident or near miss."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SignalQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(Q(incident__isnull=False) & Q(near_miss__isnull=True))
                | (Q(incident__isnull=True) & Q(near_miss__isnull=False)),
                name="%(class)s_exactly_one_incident_or_near_miss",
                violation_error_message="Attach this to exactly one incident or one near miss.",
            ),
        ]

    @property
    def subject(self):
        """The incident or near miss this belongs to."""
        return self.incident if self.incident_id else self.near_miss


class Surprise(Signal):
    """Expected versus observed: the purest sign of a gap in a mental model."""

    incident, near_miss, system = _subject_fields("surprises")
    expected = models.TextField(help_text="What people expected to happen.")
    observed = models.TextField(help_text="What actually happened.")
    noticed_at = models.DateTimeField(null=True, blank=True)
    noticed_by = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta(Signal.Meta):
        ordering = ["noticed_at", "pk"]
        constraints = [
            *Signal.Meta.constraints,
            models.CheckConstraint(
                condition=~Q(expected="") & ~Q(observed=""),
                name="surprise_has_expected_and_observed",
                violation_error_message="A surprise needs both what was expected and what was observed.",
            ),
        ]

    def __str__(self) -> str:
        return f"Expected {self.expected[:40]!r}, observed {self.observed[:40]!r}"


class Difficulty(Signal):
    """A moment when responders could not tell what the system was doing."""

    class Category(models.TextChoices):
        OBSERVABILITY_GAP = "observability_gap", "Observability gap"
        MISLEADING_SIGNAL = "misleading_signal", "Misleading signal"
        UNFAMILIAR_SYSTEM = "unfamiliar_system", "Unfamiliar system"
        MISSING_DOCUMENTATION = "missing_documentation", "Missing documentation"
        TOOLING = "tooling", "Tooling"
        COORDINATION = "coordination", "Coordination"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        DEBRIEF = "debrief", "Debrief"
        CHAT = "chat", "Chat"
        SURVEY = "survey", "Survey"

    incident, near_miss, system = _subject_fields("difficulties")
    category = models.CharField(max_length=30, choices=Category.choices)
    description = models.TextField()
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.DEBRIEF)
    minutes_lost = models.PositiveIntegerField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta(Signal.Meta):
        verbose_name = "difficulty in understanding"
        verbose_name_plural = "difficulties in understanding"
        ordering = ["pk"]
        indexes = [models.Index(fields=["category"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:60]}"


class OwnershipGap(Signal):
    class Kind(models.TextChoices):
        NO_OWNER = "no_owner", "No owner in catalog"
        OWNER_UNCLEAR = "owner_unclear", "Owner unclear"
        OWNER_UNREACHABLE = "owner_unreachable", "Owner unreachable"
        RESPONDERS_NOT_OWNERS = "responders_not_owners", "Responders were not the owners"
        FOLLOW_UP_WITHOUT_OWNER = "follow_up_without_owner", "Follow-up without owner"

    incident, near_miss, system = _subject_fields("ownership_gaps")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.TextField(blank=True)
    minutes_to_find_owner = models.PositiveIntegerField(null=True, blank=True)
    resolved = models.BooleanField(default=False)
    resolved_by_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ownership_gaps_taken",
        verbose_name="team that took ownership",
    )

    history = HistoricalRecords()

    class Meta(Signal.Meta):
        ordering = ["pk"]
        indexes = [models.Index(fields=["kind", "resolved"])]

    def __str__(self) -> str:
        where = f" ({self.system})" if self.system_id else ""
        return f"{self.get_kind_display()}{where}"

    def clean(self):
        super().clean()
        if self.resolved_by_team_id and not self.resolved:
            raise ValidationError(
                {"resolved": "Mark the gap resolved when a team has taken ownership."}
            )
