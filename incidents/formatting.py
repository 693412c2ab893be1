"""Display formatting shared by the incident pages, review pages, admin and dashboards."""

from __future__ import annotations

from datetime import timedelta

UNKNOWN = "—"


def format_duration(value: timedelta | float | None) -> str:
    """A span as people say it: "45 min", "1 h 5 min", "2 d 3 h"; an em dash when unknown.

    Accepts a timedelta or a number of seconds (the dashboards aggregate durations as seconds).
    """
    if value is None:
        return UNKNOWN
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    minutes = int(seconds // 60)
    if minutes < 0:
        return UNKNOWN
    if minutes < 1:
        return "< 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def person_name(user, default: str = "") -> str:
    """How pages, history and reports name a person: full name, else username."""
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


def person_choice(user) -> str:
    """A person in a drop-down: the full name, with the username to tell namesakes apart."""
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()
