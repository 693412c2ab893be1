"""Small display helpers for the review pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from incidents.formatting import format_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value)
