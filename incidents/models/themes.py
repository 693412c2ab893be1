"""The theme codebook: the shared vocabulary for what incidents and signals have in common."""

from __future__ import annotations

from django.db import models

from incidents.models.incident import Incident
from incidents.models.signals import Difficulty, Surprise
from incidents.slugs import slug_for, slug_not_empty


class Theme(models.Model):
    """An entry of the shared codebook, attached to incidents, surprises and difficulties."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    incidents = models.ManyToManyField(Incident, related_name="themes", blank=True)
    surprises = models.ManyToManyField(Surprise, related_name="themes", blank=True)
    difficulties = models.ManyToManyField(Difficulty, related_name="themes", blank=True)

    class Meta:
        # The table (and its three link tables, named after it) kept the name it had when the
        # codebook lived in reviews/ (migration incidents 0003 moved the model, not the data).
        db_table = "reviews_theme"
        ordering = ["name"]
        constraints = [slug_not_empty("theme")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slug_for(self.name)
        super().save(*args, **kwargs)
