"""Surprises, difficulties in understanding and ownership gaps (DOMAIN.md, "the five signals").

Each belongs to exactly one incident or exactly one near miss; the database enforces it, not only
the forms.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from incidents.models.catalog import System, Team
from incidents.models.incident import Incident, sees_every_incident
from incidents.models.near_miss import NearMiss


class SignalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Signals of near misses and of the incidents the user may see."""
        if sees_every_incident(user):
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
