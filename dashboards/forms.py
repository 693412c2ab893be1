"""The dashboard filter bar: which period, and which team, system and severity.

A bad value is a field error shown beside the bar; the page then falls back to the default for
that field (the last full quarter, or no filter) rather than failing.
"""

from __future__ import annotations

from datetime import date

from django import forms

from dashboards.periods import (
    CUSTOM,
    MONTH,
    QUARTER,
    QUARTER_TO_DATE,
    DashboardFilters,
    Period,
)
from incidents.forms import (
    DateInput,
    severity_filter_field,
    system_filter_field,
    team_filter_field,
)

EARLIEST = date(1970, 1, 1)  # the previous cycle of a custom range must stay a valid date
# A fixed bound, not "today + N years": a link keeps meaning the same thing whenever it is
# opened, and the dates derived from `end` (the next month, the trend window) stay far from
# year 9999, where `date` arithmetic raises. Nothing real is recorded that far ahead anyway.
LATEST = date(9000, 1, 1)
LONGEST_DAYS = 366 * 5


class DashboardForm(forms.Form):
    period = forms.ChoiceField(
        label="Period",
        required=False,
        choices=[
            (QUARTER, "Last full quarter"),
            (QUARTER_TO_DATE, "This quarter so far"),
            (MONTH, "Last full month"),
            (CUSTOM, "Custom range"),
        ],
    )
    start = forms.DateField(
        label="From", required=False, widget=DateInput(), help_text="YYYY-MM-DD, UTC"
    )
    end = forms.DateField(
        label="Until (excluded)", required=False, widget=DateInput(), help_text="YYYY-MM-DD, UTC"
    )
    team = team_filter_field()
    system = system_filter_field()
    severity = severity_filter_field()

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and (data.get("start") or data.get("end")) and not data.get("period"):
            data = data.copy()
            data["period"] = CUSTOM  # dates alone (as in links) mean a custom range: say so
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("period") or ""
        start, end = cleaned.get("start"), cleaned.get("end")
        if start or end or kind == CUSTOM:
            if not start:
                self.add_error("start", "Choose the first day of the range.")
            if not end:
                self.add_error("end", "Choose the day after the last one (it is excluded).")
            if start and end:
                if end <= start:
                    self.add_error("end", "The end must be after the start (it is excluded).")
                elif end > LATEST:
                    self.add_error("end", f"Choose an end before the year {LATEST.year}.")
                elif (end - start).days > LONGEST_DAYS:
                    self.add_error("end", "Choose a range of at most five years.")
                # The previous period starts at start - (end - start); compare the lengths
                # instead of computing that date, which is out of range near year 1.
                elif start - EARLIEST < end - start:
                    self.add_error(
                        "start",
                        "Choose a later start: the period compared with this one, just before "
                        "it and as long, must start in 1970 or later.",
                    )
            cleaned["period"] = CUSTOM
        return cleaned

    def period_value(self, today: date | None = None) -> Period:
        """The chosen period; the default (last full quarter) when invalid or not chosen."""
        self.is_valid()
        bad = any(name in self.errors for name in ("period", "start", "end"))
        data = {} if bad else self.cleaned_data
        kind = data.get("period") or QUARTER
        if kind == CUSTOM:
            return Period.custom(data["start"], data["end"])
        if kind == MONTH:
            return Period.last_full_month(today)
        if kind == QUARTER_TO_DATE:
            return Period.quarter_to_date(today)
        return Period.last_full_quarter(today)

    def filters_value(self) -> DashboardFilters:
        """The valid filters; a bad one (an unknown slug) is dropped and shown as an error."""
        self.is_valid()
        data = self.cleaned_data
        return DashboardFilters(
            team=data["team"].slug if data.get("team") else None,
            system=data["system"].slug if data.get("system") else None,
            severity=data.get("severity") or None,
        )
