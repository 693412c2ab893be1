"""The filters of the lists that show reviews: incidents (with their review status) and
follow-ups. They follow the filter contract of `incidents/filters.py`, with the rules of
`incidents/scopes.py`; the API reuses them."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from incidents.days import utc_midnight
from incidents.filters import IncidentPeriodFilterSet, SharedFilterSet, theme_filter
from incidents.models import Difficulty, Incident, OwnershipGap, Surprise, Team
from incidents.scopes import (
    incident_has_severity,
    incident_has_signal,
    incident_in_period,
    incident_involves_team,
    incident_touches_deployed_system,
    incident_touches_system,
)
from reviews.models import ActionItem, Review


class IncidentFilter(SharedFilterSet):
    REVIEW_NONE = "none"
    HAS_CHOICES = [
        ("surprise", "At least one surprise"),
        ("difficulty", "At least one difficulty"),
        ("ownership_gap", "At least one ownership gap"),
    ]

    status = django_filters.ChoiceFilter(
        label="Status", choices=Incident.Status.choices, empty_label="Any status"
    )
    review_status = django_filters.ChoiceFilter(
        label="Review",
        choices=[(REVIEW_NONE, "No review yet"), *Review.Status.choices],
        method="filter_review_status",
        empty_label="Any review status",
    )
    has = django_filters.ChoiceFilter(
        label="Signals", choices=HAS_CHOICES, method="filter_has", empty_label="Any signals"
    )
    theme = theme_filter()
    cause = django_filters.ChoiceFilter(
        label="Cause",
        choices=[
            ("deployment", "A known deployment"),
            ("change", "A change, deployment unknown"),
            ("none", "No change recorded"),
        ],
        method="filter_cause",
        empty_label="Any cause",
    )
    # What "incidents per 100 deployments" counts beyond one system: an incident of a system
    # that recorded no deployment in the period has no exposure to divide by.
    deployed = django_filters.ChoiceFilter(
        label="Deployments",
        choices=[("yes", "Touches a system deployed to production in the period")],
        method="filter_deployed",
        empty_label="Deployed or not",
    )
    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Reference, title or summary"}
        ),
    )

    class Meta(SharedFilterSet.Meta):
        model = Incident

    def period_q(self, *, start, end):
        return incident_in_period(start=start, end=end)

    def system_q(self, system):
        return incident_touches_system(system)

    def team_q(self, team):
        return incident_involves_team(team)

    def severity_q(self, severity):
        return incident_has_severity(severity)

    def filter_review_status(self, queryset, name, value):
        if value == self.REVIEW_NONE:
            return queryset.filter(review__isnull=True)
        return queryset.filter(review__status=value)

    def filter_has(self, queryset, name, value):
        model = {"surprise": Surprise, "difficulty": Difficulty, "ownership_gap": OwnershipGap}
        return queryset.filter(incident_has_signal(model[value]))

    def filter_cause(self, queryset, name, value):
        if value == "deployment":
            return queryset.filter(caused_by__isnull=False)
        if value == "change":
            return queryset.filter(triggered_by_change=True, caused_by__isnull=True)
        return queryset.filter(triggered_by_change=False)

    def filter_deployed(self, queryset, name, value):
        """The deployment is the period's (`start`, `end`), of the system or the team's systems
        the list is filtered by."""
        data = self.form.cleaned_data
        start, end = data.get("start"), data.get("end")
        return queryset.filter(
            incident_touches_deployed_system(
                start=utc_midnight(start) if start else None,
                end=utc_midnight(end) if end else None,
                system=data.get("system"),
                team=data.get("team"),
            )
        )

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(summary__icontains=value)
        )


class FollowUpFilter(IncidentPeriodFilterSet):
    """The follow-up list's filters: team (slug, or `none` for unowned), status (one, or
    `unfinished`: open or in progress, or `all`), overdue, and the period of the follow-up's
    incident."""

    NO_TEAM = "none"
    incident_path = "review__incident"

    team = django_filters.ChoiceFilter(
        label="Owner team", method="filter_team", empty_label="Any team", choices=[]
    )
    UNFINISHED = "unfinished"
    ANY_STATUS = "all"
    # No empty choice: the page opens on the unfinished ones, and "all" is asked for by name
    # (a dashboard count of every status links with it).
    status = django_filters.ChoiceFilter(
        choices=[
            (UNFINISHED, "Open or in progress"),
            *ActionItem.Status.choices,
            (ANY_STATUS, "Any status"),
        ],
        method="filter_status",
        empty_label=None,
    )
    overdue = django_filters.ChoiceFilter(
        label="Due", choices=[("true", "Overdue")], method="filter_overdue", empty_label="Any"
    )

    class Meta(IncidentPeriodFilterSet.Meta):
        model = ActionItem

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["team"].extra["choices"] = [
            (self.NO_TEAM, "Nobody (unowned)"),
            *Team.objects.values_list("slug", "name"),
        ]

    def filter_team(self, queryset, name, value):
        if value == self.NO_TEAM:
            return queryset.unowned()
        return queryset.filter(owner_team__slug=value)

    def filter_status(self, queryset, name, value):
        if value == self.UNFINISHED:
            return queryset.open()
        if value == self.ANY_STATUS:
            return queryset
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value == "true" else queryset
