"""`{% load incident_format %}`: small display helpers for incident pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A span as people say it: "45 min", "1 h 5 min", "2 d 3 h"; an em dash when unknown."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 0:
        return "—"
    if minutes < 1:
        return "< 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def severity_class(severity: str | None) -> str:
    """The CSS class of a severity badge (`sev sev1`), so colour is never the only cue."""
    return f"sev sev{severity[-1]}" if severity else "sev"
