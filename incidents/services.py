"""Writes that touch several rows of the incidents app."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from incidents.models import NearMiss


def near_miss_report(*, reporter, anonymous: bool, data: dict[str, Any]) -> NearMiss:
    """Record a near miss and its systems together, or nothing.

    An anonymous report stores no reporter at all (not a hidden flag): nothing can leak later."""
    fields = dict(data)
    systems = fields.pop("systems", None) or []
    fields.pop("anonymous", None)
    with transaction.atomic():
        near_miss = NearMiss.objects.create(**fields, reported_by=None if anonymous else reporter)
        near_miss.systems.set(systems)
    return near_miss
