"""The incident's timeline: what happened and what people did, moment by moment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from incidents.models.incident import Incident


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        DETECTION = "detection", "Detection"
        DIAGNOSIS = "diagnosis", "Diagnosis"
        REPAIR = "repair", "Repair"
        KEY_MOMENT = "key_moment", "Key moment"
        NOTE = "note", "Note"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField()
    evidence_url = models.URLField(blank=True, help_text="Link to a graph, log or chat message.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="timeline_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The tables keep the names they had when the timeline lived in reviews/ (migration
    # incidents 0003 moved the model, not the data).
    history = HistoricalRecords(table_name="reviews_historicaltimelineentry")

    class Meta:
        db_table = "reviews_timelineentry"
        verbose_name_plural = "timeline entries"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["incident", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.text[:60]}"
