"""What an API token holds beyond django-rest-knox's own row: the name its owner gave it, and
when it was last used (so a forgotten token can be told from one a script still needs)."""

from __future__ import annotations

from django.db import models
from knox.models import AuthToken


class TokenLabel(models.Model):
    token = models.OneToOneField(
        AuthToken, on_delete=models.CASCADE, primary_key=True, related_name="label"
    )
    name = models.CharField(max_length=100, blank=True)
    # Moved on at most once a minute (api.authentication.TrackedTokenAuthentication): a write per
    # request would cost more than the answer is worth.
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name or "(unnamed)"
