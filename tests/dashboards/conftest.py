"""What the dashboard selector tests share: a quarter to count in, and moments within it."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboards import selectors
from dashboards.periods import DashboardFilters, Period

Q3 = Period.quarter(2026, 3)  # [2026-07-01, 2026-10-01); previous: Q2
ALL = DashboardFilters()


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def summary(user, filters=ALL, period=Q3):
    return selectors.period_comparison(user=user, period=period, filters=filters)
