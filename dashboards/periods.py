"""Review periods and dashboard filters: the two inputs every selector takes.

A Period is a half-open UTC interval [start, end): an incident that started at 23:59:59 on the
last day of a quarter belongs to that quarter, one at 00:00:00 on the next day does not. The
dates in links (`start`, `end`) follow the same contract, so a number on a dashboard and the
list it links to always count the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from incidents.days import utc_midnight, utc_today

MONTH = "month"
QUARTER = "quarter"
# The current quarter from its first day up to today, against the same days of the one before.
QUARTER_TO_DATE = "quarter_to_date"
CUSTOM = "custom"
KINDS = (MONTH, QUARTER, QUARTER_TO_DATE, CUSTOM)


def _add_months(day: date, months: int) -> date:
    """First day of the month `months` after (or before) day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and the kind of cycle it is (month, quarter or custom)."""

    start: datetime
    end: datetime
    kind: str = CUSTOM

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("period bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(utc_midnight(first), utc_midnight(_add_months(first, 1)), MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError("quarter must be 1..4")
        first = date(year, 3 * (quarter - 1) + 1, 1)
        return cls(utc_midnight(first), utc_midnight(_add_months(first, 3)), QUARTER)

    @classmethod
    def last_full_month(cls, today: date | None = None) -> Period:
        previous = _add_months(today or utc_today(), -1)
        return cls.month(previous.year, previous.month)

    @classmethod
    def last_full_quarter(cls, today: date | None = None) -> Period:
        """The default dashboard period: the last quarter that has fully ended."""
        today = today or utc_today()
        current_quarter = (today.month - 1) // 3 + 1
        if current_quarter == 1:
            return cls.quarter(today.year - 1, 4)
        return cls.quarter(today.year, current_quarter - 1)

    @classmethod
    def quarter_to_date(cls, today: date | None = None) -> Period:
        """This quarter so far: from its first day up to and including today (UTC)."""
        today = today or utc_today()
        first = _quarter_start(today)
        return cls(utc_midnight(first), utc_midnight(today + timedelta(days=1)), QUARTER_TO_DATE)

    @classmethod
    def custom(cls, start: date, end: date) -> Period:
        """Dates as in the links: from start 00:00 UTC up to, not including, end 00:00 UTC.

        A range that is exactly one calendar month or quarter is that month or quarter, so
        a link to it compares with the previous calendar month or quarter, as the page did.
        """
        kind = CUSTOM
        if start.day == 1 and end == _add_months(start, 1):
            kind = MONTH
        elif start.day == 1 and start.month % 3 == 1 and end == _add_months(start, 3):
            kind = QUARTER
        return cls(utc_midnight(start), utc_midnight(end), kind)

    @classmethod
    def months_ending(cls, end: date, months: int) -> Period:
        """`months` whole calendar months ending at `end` (exclusive), for the trends.

        An `end` inside a month rounds up to the next month, so that month is included.
        """
        last = end if end.day == 1 else _add_months(end, 1)
        return cls(utc_midnight(_add_months(last, -months)), utc_midnight(last), CUSTOM)

    # --- derived -----------------------------------------------------------------------------

    def previous(self) -> Period:
        """The cycle before: the previous calendar month or quarter, else the same length.

        Calendar months differ by up to three days; the comparisons take the exposure (days)
        of each period into account, so that does not bias a verdict.
        """
        if self.kind == MONTH:
            first = _add_months(self.start.date(), -1)
            return Period.month(first.year, first.month)
        if self.kind == QUARTER:
            first = _add_months(self.start.date(), -3)
            return Period.quarter(first.year, (first.month - 1) // 3 + 1)
        if self.kind == QUARTER_TO_DATE:
            # As many days of the quarter before; a shorter quarter ends where this one starts.
            first = utc_midnight(_add_months(self.start.date(), -3))
            return Period(first, min(first + (self.end - self.start), self.start), QUARTER_TO_DATE)
        return replace(self, start=self.start - (self.end - self.start), end=self.start)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    @property
    def start_date(self) -> date:
        return self.start.date()

    @property
    def end_date(self) -> date:
        """Exclusive, as in the links' `end` parameter."""
        return self.end.date()

    @property
    def last_day(self) -> date:
        """The last day inside the period, for display."""
        return (self.end - timedelta(microseconds=1)).date()

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return f"{self.start:%B %Y}"
        if self.kind == QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == QUARTER_TO_DATE:
            days = round(self.days)
            quarter = f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
            return f"{quarter}, first {days} day{'s' if days != 1 else ''}"
        return f"{self.start_date:%d %b %Y} to {self.last_day:%d %b %Y}"

    def query_params(self) -> dict[str, str]:
        """The `start`/`end` parameters of the list pages and the API."""
        return {"start": self.start_date.isoformat(), "end": self.end_date.isoformat()}

    def month_starts(self) -> list[date]:
        """First day of every calendar month the period touches, oldest first."""
        months, current = [], date(self.start.year, self.start.month, 1)
        while utc_midnight(current) < self.end:
            months.append(current)
            current = _add_months(current, 1)
        return months


@dataclass(frozen=True)
class DashboardFilters:
    """Team slug, system slug and severity; None means "all". Same names as the list filters."""

    team: str | None = None
    system: str | None = None
    severity: str | None = None

    def query_params(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (
                ("team", self.team),
                ("system", self.system),
                ("severity", self.severity),
            )
            if value
        }

    @property
    def is_empty(self) -> bool:
        return not (self.team or self.system or self.severity)
