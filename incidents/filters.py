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

Deployments (`DeploymentFilter`) are placed by `deployed_at`; `system` is the deployed system,
`team` the owner of that system; `severity` and `caused` are about the incidents a deployment
caused (see the FilterSet).

A bad value (a malformed date, an unknown slug or choice, an end before the start) is a form
error, never an exception: pages show it beside the filter bar, the API answers 400.

Each rule above is written once, as the Q builders of incidents/scopes.py, which the dashboard
selectors use too. Visibility is not applied here: callers pass `Model.objects.visible_to(user)`
as the queryset, so the FilterSets stay free of request-specific logic and the API can reuse
them as they are.
"""

from __future__ import annotations

from datetime import date, datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from incidents.days import utc_midnight
from incidents.forms import DateInput
from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    NearMiss,
    OwnershipGap,
    Severity,
    Surprise,
    System,
    Team,
    Theme,
)
from incidents.scopes import (
    deployment_caused_incident,
    deployment_in_period,
    deployment_of_system,
    deployment_of_team,
    incident_has_severity,
    incident_in_period,
    near_miss_has_severity,
    near_miss_in_period,
    near_miss_involves_team,
    near_miss_touches_system,
    signal_about_system,
    signal_has_severity,
    signal_in_period,
    signal_involves_team,
)

DATE_FORMAT = "%Y-%m-%d"


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


class IncidentPeriodFilterSet(django_filters.FilterSet):
    """`start`/`end` for records that sit in their incident's period (a timeline entry, a
    review, a follow-up): the incident's `started_at`, reached through `incident_path`."""

    incident_path = "incident"
    start = date_filter("From")
    end = date_filter("Until (excluded)")

    class Meta:
        form = PeriodForm
        fields: list[str] = []

    def filter_period(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        moment = utc_midnight(value)
        if name == "start":
            return queryset.filter(incident_in_period(self.incident_path, start=moment, end=None))
        return queryset.filter(incident_in_period(self.incident_path, start=None, end=moment))


class SharedFilterSet(django_filters.FilterSet):
    """start, end, system, team and severity, written once.

    Subclasses say what each means for their model by overriding the four `*_q` methods, with
    the rules of incidents/scopes.py.
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
        return near_miss_in_period(start=start, end=end)

    def system_q(self, system):
        return near_miss_touches_system(system)

    def team_q(self, team):
        return near_miss_involves_team(team)

    def severity_q(self, severity):
        return near_miss_has_severity(severity)


class SignalFilterSet(SharedFilterSet):
    """Surprises, difficulties and ownership gaps: placed through their incident or near miss."""

    subject = django_filters.ChoiceFilter(
        label="Found in",
        choices=[("incident", "Incidents"), ("near_miss", "Near misses")],
        method="filter_subject",
        empty_label="Incidents and near misses",
    )

    def period_q(self, *, start, end):
        return signal_in_period(start=start, end=end)

    def system_q(self, system):
        return signal_about_system(system)

    def team_q(self, team):
        return signal_involves_team(team)

    def severity_q(self, severity):
        return signal_has_severity(severity)

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

    # `value: str`: the choice as sent, "true" or "false" (the API schema reads this hint; it
    # would otherwise take the model field's boolean).
    def filter_resolved(self, queryset, name, value: str):
        return queryset.filter(resolved=value == "true")


class DeploymentFilter(SharedFilterSet):
    """Deployments, with the shared names, plus `environment`, `outcome`, `source` and `caused`.

    `caused=yes` keeps the deployments named as the cause of an incident the viewer may see,
    `caused=no` the others; `severity` narrows those incidents to one severity, and alone means
    `caused=yes` with it (a deployment has no severity of its own). So unlike the other lists,
    this one needs the request (`DeploymentFilter(data, queryset, request=request)`): whether a
    deployment caused an incident depends on who may see that incident. Without one, only
    public incidents count.
    """

    environment = django_filters.CharFilter(
        label="Environment",
        lookup_expr="iexact",  # stored lower-case: "Production" finds them too
        max_length=100,
        help_text="Only production deployments count in the failure rates.",
    )
    outcome = django_filters.ChoiceFilter(
        label="Outcome", choices=Deployment.Outcome.choices, empty_label="Any outcome"
    )
    source = django_filters.ChoiceFilter(
        label="Source", choices=Deployment.Source.choices, empty_label="Any source"
    )
    caused = django_filters.ChoiceFilter(
        label="Caused",
        choices=[("yes", "Caused an incident"), ("no", "Caused no incident")],
        method="filter_caused",
        empty_label="With or without incidents",
    )
    severity = django_filters.ChoiceFilter(
        label="Incident severity",
        choices=Severity.choices,
        method="filter_severity",
        empty_label="Any severity",
    )

    class Meta(SharedFilterSet.Meta):
        model = Deployment

    def period_q(self, *, start, end):
        return deployment_in_period(start=start, end=end)

    def system_q(self, system):
        return deployment_of_system(system)

    def team_q(self, team):
        return deployment_of_team(team)

    def _causing_incidents(self) -> QuerySet:
        """The incidents whose causes `caused` and `severity` keep: those the viewer may see,
        of the severity asked for."""
        user = getattr(self.request, "user", None)
        incidents = (
            Incident.objects.visible_to(user)
            if user is not None
            else Incident.objects.filter(is_private=False)
        )
        severity = self.form.cleaned_data.get("severity")
        if severity:
            incidents = incidents.filter(incident_has_severity(severity))
        return incidents

    def _caused_q(self) -> Q:
        return deployment_caused_incident(self._causing_incidents())

    def count_from_causes(self) -> int | None:
        """How many deployments the filtered list holds, counted from the incidents that name
        them, when `caused=yes` and `severity` are its only filters (None otherwise, and for
        a filter the form refused).

        Those deployments are exactly the distinct causes of those incidents (each cause is a
        deployment: a foreign key), so the count reads the incidents of one severity from an
        index (`incident_severity_cause`) rather than testing every deployment for an
        incident that names it: `?severity=SEV2` took 1,071 ms, now 65, at 1,000,000
        incidents and 10,000,000 deployments (docs/benchmarks.md)."""
        if not self.is_valid():
            return None
        given = {name for name, value in self.form.cleaned_data.items() if value not in (None, "")}
        if not given or given - {"caused", "severity"}:
            return None
        if self.form.cleaned_data.get("caused") == "no":
            return None
        causes = self._causing_incidents().exclude(caused_by=None).values("caused_by")
        return causes.order_by().distinct().count()

    def filter_caused(self, queryset, name, value):
        caused = self._caused_q()
        return queryset.filter(caused if value == "yes" else ~caused)

    def filter_severity(self, queryset, name, value):
        if self.form.cleaned_data.get("caused"):
            return queryset  # `caused` applies it
        return queryset.filter(self._caused_q())
