"""Days are UTC days: what "today" is, and where a day begins.

Periods, the `start`/`end` filter dates and the dashboards' months are whole UTC days, whatever
the server's zone; "today" (is a follow-up overdue? which quarter has fully ended?) is the UTC
date too, so a day never means two things. settings.TIME_ZONE is UTC, so this is also Django's
`timezone.localdate()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.utils import timezone


def utc_today() -> date:
    """Today's date in UTC."""
    return timezone.now().astimezone(UTC).date()


def utc_midnight(day: date) -> datetime:
    """The first moment of a UTC day: periods are whole UTC days, whatever the server's zone."""
    return datetime.combine(day, time.min, tzinfo=UTC)
