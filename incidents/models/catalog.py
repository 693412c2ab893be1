"""The service catalog: teams and the systems they own (or that nobody owns)."""

from __future__ import annotations

from django.db import models

from incidents.slugs import slug_for, slug_not_empty


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    contact = models.CharField(
        max_length=200, blank=True, help_text="Chat channel or e-mail address to reach the team."
    )
    # Where `manage.py send_reminders` sends the team's daily digest (README, "Reminders");
    # either, both or neither.
    notify_email = models.EmailField(
        "reminder e-mail", blank=True, help_text="Receives the daily digest of what is due."
    )
    notify_webhook_url = models.URLField(
        "reminder webhook",
        max_length=500,
        blank=True,
        help_text="A Slack-compatible incoming webhook that receives the daily digest.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [slug_not_empty("team")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slug_for(self.name)
        super().save(*args, **kwargs)


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
        constraints = [slug_not_empty("system")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slug_for(self.name)
        super().save(*args, **kwargs)

    @property
    def has_owner(self) -> bool:
        return self.owner_team_id is not None
