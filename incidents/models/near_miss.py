"""Near misses: events that almost became incidents (DOMAIN.md: the most under-reported signal)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.formatting import person_name
from incidents.models.catalog import System
from incidents.models.incident import Severity


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
        return "Anonymous" if self.is_anonymous else person_name(self.reported_by)

    def clean(self):
        super().clean()
        if self.detected_at and self.occurred_at and self.detected_at < self.occurred_at:
            raise ValidationError({"detected_at": "Detected at cannot be before occurred at."})
