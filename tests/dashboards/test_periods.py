"""Tests for dashboards.periods: half-open UTC periods, their previous cycle, link parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dashboards.periods import (
    CUSTOM,
    MONTH,
    QUARTER,
    QUARTER_TO_DATE,
    DashboardFilters,
    Period,
)


def test_last_full_quarter_is_the_quarter_before_today():
    period = Period.last_full_quarter(date(2026, 11, 27))
    assert (period.start, period.end, period.kind) == (
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
        QUARTER,
    )
    assert period.label == "Q3 2026"


def test_last_full_quarter_in_january_is_last_years_fourth_quarter():
    period = Period.last_full_quarter(date(2027, 1, 3))
    assert period == Period.quarter(2026, 4)
    assert period.end == datetime(2027, 1, 1, tzinfo=UTC)


def test_last_full_month_crosses_the_year():
    period = Period.last_full_month(date(2027, 1, 15))
    assert (period.start, period.end, period.kind) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        MONTH,
    )
    assert period.label == "December 2026"


def test_previous_of_a_quarter_is_the_calendar_quarter_before():
    assert Period.quarter(2026, 1).previous() == Period.quarter(2025, 4)
    assert Period.quarter(2026, 3).previous() == Period.quarter(2026, 2)


def test_previous_of_a_month_is_the_calendar_month_before():
    assert Period.month(2026, 3).previous() == Period.month(2026, 2)
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)


def test_previous_of_a_custom_range_has_the_same_length_and_ends_where_it_starts():
    period = Period.custom(date(2026, 5, 10), date(2026, 5, 20))
    previous = period.previous()
    assert previous.end == period.start
    assert previous.days == period.days == 10
    assert previous.kind == CUSTOM


def test_end_is_exclusive_in_query_params_and_last_day_is_inclusive_for_display():
    period = Period.quarter(2026, 3)
    assert period.query_params() == {"start": "2026-07-01", "end": "2026-10-01"}
    assert period.last_day == date(2026, 9, 30)
    assert period.days == 92


def test_a_period_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after"):
        Period.custom(date(2026, 5, 2), date(2026, 5, 2))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Period(datetime(2026, 1, 1), datetime(2026, 2, 1))


def test_months_ending_covers_whole_months_and_rounds_a_mid_month_end_up():
    window = Period.months_ending(date(2026, 10, 1), 12)
    assert window.start == datetime(2025, 10, 1, tzinfo=UTC)
    assert window.end == datetime(2026, 10, 1, tzinfo=UTC)
    assert len(window.month_starts()) == 12
    mid = Period.months_ending(date(2026, 11, 27), 3)
    assert mid.month_starts() == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]


def test_filters_query_params_leave_out_empty_values():
    assert DashboardFilters().query_params() == {}
    assert DashboardFilters().is_empty
    assert DashboardFilters(team="search", severity="SEV2").query_params() == {
        "team": "search",
        "severity": "SEV2",
    }


def test_a_custom_range_that_is_a_calendar_quarter_or_month_is_one():
    assert Period.custom(date(2026, 7, 1), date(2026, 10, 1)) == Period.quarter(2026, 3)
    assert Period.custom(date(2026, 2, 1), date(2026, 3, 1)) == Period.month(2026, 2)
    assert Period.custom(date(2026, 2, 1), date(2026, 5, 1)).kind == CUSTOM


def test_this_quarter_so_far_runs_from_its_first_day_through_today():
    period = Period.quarter_to_date(date(2026, 11, 28))
    assert (period.start, period.end, period.kind) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 29, tzinfo=UTC),
        QUARTER_TO_DATE,
    )
    assert period.label == "Q4 2026, first 59 days"


def test_this_quarter_so_far_is_compared_with_the_same_days_of_the_quarter_before():
    previous = Period.quarter_to_date(date(2026, 11, 28)).previous()
    assert (previous.start, previous.end) == (
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 8, 29, tzinfo=UTC),
    )
    assert previous.days == 59
    assert previous.label == "Q3 2026, first 59 days"


def test_the_last_day_of_a_long_quarter_is_compared_with_the_whole_shorter_one_before():
    # Q3 has 92 days, Q2 91: the comparison stops where Q3 starts.
    previous = Period.quarter_to_date(date(2026, 9, 30)).previous()
    assert (previous.start, previous.end) == (
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 7, 1, tzinfo=UTC),
    )


def test_the_first_day_of_a_quarter_is_a_one_day_period():
    period = Period.quarter_to_date(date(2027, 1, 1))
    assert period.days == 1
    assert period.label == "Q1 2027, first 1 day"
    assert period.previous().start == datetime(2026, 10, 1, tzinfo=UTC)
