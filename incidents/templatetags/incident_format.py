"""`{% load incident_format %}`: small display helpers for incident pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from incidents.formatting import format_duration, person_name

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value)


@register.filter
def severity_class(severity: str | None) -> str:
    """The CSS class of a severity badge (`sev sev1`), so colour is never the only cue."""
    return f"sev sev{severity[-1]}" if severity else "sev"


@register.filter
def person(user) -> str:
    """A person as every page names them: full name, else username (`person_name`)."""
    return person_name(user)
