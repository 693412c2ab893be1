"""Reporting and editing a near miss with its systems."""

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


@transaction.atomic
def near_miss_update(*, near_miss: NearMiss, data: dict[str, Any]) -> NearMiss:
    """Save a near miss's fields and, when given, replace its systems. Made anonymous, the
    reporter is removed for good (an anonymous report never names anyone)."""
    data = dict(data)
    if data.pop("is_anonymous", False):
        near_miss.reported_by = None
    systems = data.pop("systems", None)
    for name, value in data.items():
        setattr(near_miss, name, value)
    near_miss.save()
    if systems is not None:
        near_miss.systems.set(systems)
    return near_miss
