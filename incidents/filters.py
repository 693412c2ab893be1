"""The filter-parameter contract shared by the list pages, the dashboard links and the API.

One FilterSet per list; the same names mean the same thing everywhere:

- `start`, `end` (YYYY-MM-DD): the half-open UTC interval [start 00:00, end 00:00). Incidents are
  placed by `started_at`, near misses by `occurred_at`, and a surprise, difficulty or ownership gap
  by its incident's or near miss's moment (never by its own `created_at`).
- `system` (slug): incidents with the system in any role; near misses that touched it; a signal
  about it (its own `system`, or, when it names none, its incident or near miss touched it).
- `team` (slug): incidents whose teams include it or that touch a system it owns; near misses
  and signals whose incident or near miss match that way.
- `severity` (SEV1..SEV4): incidents by severity, near misses by potential severity, signals by
  their incident's severity (so a signal of a near miss never matches).

A bad value (a malformed date, an unknown slug or choice, an end before the start) is a form
error, never an exception: pages show it beside the filter bar, the API answers 400.

Visibility is not applied here: callers pass `Model.objects.visible_to(user)` as the queryset, so
the FilterSets stay free of request-specific logic and the API can reuse them as they are.
"""

from __future__ import annotations

from datetime import date, datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from incidents.days import utc_midnight
from incidents.forms import DateInput
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Severity,
    Surprise,
    System,
    Team,
    Theme,
)

DATE_FORMAT = "%Y-%m-%d"


# Q builders. `ref` names the incident or near miss from the filtered model's point of view
# ("pk" on Incident itself, "incident" on a signal). Exists subqueries instead of joins, so a
# match through several systems or teams never duplicates a row.


def incident_touches_system(system: System, ref: str = "pk") -> Exists:
    return Exists(IncidentSystem.objects.filter(incident=OuterRef(ref), system=system))


def incident_involves_team(team: Team, ref: str = "pk") -> Q:
    listed = Incident.teams.through.objects.filter(incident=OuterRef(ref), team=team)
    owned = IncidentSystem.objects.filter(incident=OuterRef(ref), system__owner_team=team)
    return Q(Exists(listed)) | Q(Exists(owned))


def near_miss_touches_system(system: System, ref: str = "pk") -> Exists:
    return Exists(NearMiss.systems.through.objects.filter(nearmiss=OuterRef(ref), system=system))


def near_miss_involves_team(team: Team, ref: str = "pk") -> Exists:
    # Near misses list systems, not teams: a team is involved through the systems it owns.
    return Exists(
        NearMiss.systems.through.objects.filter(nearmiss=OuterRef(ref), system__owner_team=team)
    )


def signal_about_system(system: System) -> Q:
    """A signal is about a system when it names it, or names none and its subject touched it."""
    inherited = Q(incident__isnull=False) & Q(incident_touches_system(system, "incident"))
    inherited |= Q(near_miss__isnull=False) & Q(near_miss_touches_system(system, "near_miss"))
    return Q(system=system) | (Q(system__isnull=True) & inherited)


def signal_involves_team(team: Team) -> Q:
    return (Q(incident__isnull=False) & incident_involves_team(team, "incident")) | (
        Q(near_miss__isnull=False) & Q(near_miss_involves_team(team, "near_miss"))
    )


class PeriodForm(forms.Form):
    """The filter form: an empty or reversed period is a mistake worth telling about."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start (the end day is excluded).")
        return cleaned


def date_filter(label: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label,
        method="filter_period",
        input_formats=[DATE_FORMAT],
        widget=DateInput(),
        help_text="YYYY-MM-DD, UTC",
    )


def theme_filter() -> django_filters.ModelChoiceFilter:
    """Records carrying a theme of the codebook (`?theme=<slug>`), as the themes dashboard counts."""
    return django_filters.ModelChoiceFilter(
        label="Theme",
        queryset=Theme.objects.all(),
        to_field_name="slug",
        field_name="themes",
        empty_label="Any theme",
    )


class SharedFilterSet(django_filters.FilterSet):
    """start, end, system, team and severity, written once.

    Subclasses say what each means for their model by overriding the four `*_q` methods.
    """

    start = date_filter("From")
    end = date_filter("Until (excluded)")
    system = django_filters.ModelChoiceFilter(
        label="System",
        queryset=System.objects.all(),
        to_field_name="slug",
        method="filter_system",
        empty_label="Any system",
    )
    team = django_filters.ModelChoiceFilter(
        label="Team",
        queryset=Team.objects.all(),
        to_field_name="slug",
        method="filter_team",
        empty_label="Any team",
    )
    severity = django_filters.ChoiceFilter(
        label="Severity",
        choices=Severity.choices,
        method="filter_severity",
        empty_label="Any severity",
    )

    class Meta:
        form = PeriodForm
        fields: list[str] = []

    # What the shared names mean for one model.
    def period_q(self, *, start: datetime | None, end: datetime | None) -> Q:
        raise NotImplementedError

    def system_q(self, system: System) -> Q:
        raise NotImplementedError

    def team_q(self, team: Team) -> Q:
        raise NotImplementedError

    def severity_q(self, severity: str) -> Q:
        raise NotImplementedError

    def filter_period(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        moment = utc_midnight(value)
        if name == "start":
            return queryset.filter(self.period_q(start=moment, end=None))
        return queryset.filter(self.period_q(start=None, end=moment))

    def filter_system(self, queryset: QuerySet, name: str, value: System) -> QuerySet:
        return queryset.filter(self.system_q(value))

    def filter_team(self, queryset: QuerySet, name: str, value: Team) -> QuerySet:
        return queryset.filter(self.team_q(value))

    def filter_severity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(self.severity_q(value))


def between(field: str, *, start: datetime | None, end: datetime | None) -> Q:
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lt": end})
    return condition


class NearMissFilter(SharedFilterSet):
    severity = django_filters.ChoiceFilter(
        label="Potential severity",
        choices=Severity.choices,
        method="filter_severity",
        empty_label="Any severity",
    )
    stopped_by = django_filters.ChoiceFilter(
        label="Stopped by", choices=NearMiss.StoppedBy.choices, empty_label="Anything"
    )

    class Meta(SharedFilterSet.Meta):
        model = NearMiss

    def period_q(self, *, start, end):
        return between("occurred_at", start=start, end=end)

    def system_q(self, system):
        return Q(near_miss_touches_system(system))

    def team_q(self, team):
        return Q(near_miss_involves_team(team))

    def severity_q(self, severity):
        return Q(potential_severity=severity)


class SignalFilterSet(SharedFilterSet):
    """Surprises, difficulties and ownership gaps: placed through their incident or near miss."""

    subject = django_filters.ChoiceFilter(
        label="Found in",
        choices=[("incident", "Incidents"), ("near_miss", "Near misses")],
        method="filter_subject",
        empty_label="Incidents and near misses",
    )

    def period_q(self, *, start, end):
        # A NULL foreign key never compares, so each side only matches its own kind of subject.
        return between("incident__started_at", start=start, end=end) | between(
            "near_miss__occurred_at", start=start, end=end
        )

    def system_q(self, system):
        return signal_about_system(system)

    def team_q(self, team):
        return signal_involves_team(team)

    def severity_q(self, severity):
        return Q(incident__severity=severity)

    def filter_subject(self, queryset, name, value):
        return queryset.filter(**{f"{value}__isnull": False})


class SurpriseFilter(SignalFilterSet):
    theme = theme_filter()

    class Meta(SharedFilterSet.Meta):
        model = Surprise


class DifficultyFilter(SignalFilterSet):
    category = django_filters.ChoiceFilter(
        choices=Difficulty.Category.choices, empty_label="Any category"
    )
    theme = theme_filter()

    class Meta(SharedFilterSet.Meta):
        model = Difficulty


class OwnershipGapFilter(SignalFilterSet):
    kind = django_filters.ChoiceFilter(choices=OwnershipGap.Kind.choices, empty_label="Any kind")
    # A choice, not a BooleanFilter: that one quietly ignores "resolved=maybe".
    resolved = django_filters.ChoiceFilter(
        choices=[("true", "Resolved"), ("false", "Open")],
        method="filter_resolved",
        empty_label="Open and resolved",
    )

    class Meta(SharedFilterSet.Meta):
        model = OwnershipGap

    def filter_resolved(self, queryset, name, value):
        return queryset.filter(resolved=value == "true")
