"""FilterSets for the API resources that have no list page of their own.

Incidents, near misses, the three signals and follow-ups reuse the pages' FilterSets (one filter
contract for pages, dashboard links and API). The ones here follow the same conventions:
slugs for teams and systems, `start`/`end` as the half-open UTC interval of the incident's
`started_at`, a bad value is a 400, never a 500.
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from incidents.filters import IncidentPeriodFilterSet
from incidents.models import Incident, System, Team, TimelineEntry
from reviews.filters import FollowUpFilter
from reviews.models import Participant, Review


def _visible_incidents(request):
    return Incident.objects.visible_to(request.user)


def _incident(field: str) -> django_filters.ModelChoiceFilter:
    # An incident the user may not see is an unknown reference (a 400), as in the
    # serializers, not a valid one that matches nothing, which would confirm it exists.
    return django_filters.ModelChoiceFilter(
        field_name=field,
        queryset=_visible_incidents,
        to_field_name="reference",
        help_text="Incident reference, e.g. INC-0042.",
    )


_MAX_ID = 2**63 - 1


# A NumberFilter is a `number` in the schema; this one takes whole numbers only.
@extend_schema_field({"type": "integer", "minimum": 1, "maximum": _MAX_ID})
class _IdFilter(django_filters.NumberFilter):
    """A primary key: a whole number within the database's range (else a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=_MAX_ID, **kwargs)


class SystemFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(
        field_name="owner_team", queryset=Team.objects.all(), to_field_name="slug"
    )
    has_owner = django_filters.ChoiceFilter(
        choices=[("true", "Has an owner"), ("false", "No owner (gap)")], method="filter_has_owner"
    )
    tier = django_filters.ChoiceFilter(choices=System.Tier.choices)

    class Meta:
        model = System
        fields: list[str] = []

    def filter_has_owner(self, queryset, name, value):
        return queryset.filter(owner_team__isnull=value != "true")


class TimelineEntryFilter(IncidentPeriodFilterSet):
    incident = _incident("incident")
    kind = django_filters.ChoiceFilter(choices=TimelineEntry.Kind.choices)

    class Meta(IncidentPeriodFilterSet.Meta):
        model = TimelineEntry


class ReviewFilter(IncidentPeriodFilterSet):
    incident = _incident("incident")
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)

    class Meta(IncidentPeriodFilterSet.Meta):
        model = Review


class _TeamOrNoneField(forms.CharField):
    """A team slug or `none`; checked when the filter runs, not when the schema is built."""

    def validate(self, value):
        super().validate(value)
        if value and value != "none" and not Team.objects.filter(slug=value).exists():
            raise forms.ValidationError(f"No team {value!r}; use a team slug or none.")


class _TeamOrNoneFilter(django_filters.CharFilter):
    field_class = _TeamOrNoneField


class ActionItemFilter(FollowUpFilter):
    """The follow-up list's filters (`reviews.filters.FollowUpFilter`), plus `review`. `team` is
    the owner team's slug, or `none` for the unowned (a gap)."""

    review = _IdFilter(field_name="review_id")
    # A free string in the schema rather than the page's list of teams, which would be read
    # from the database whenever the schema is built.
    team = _TeamOrNoneFilter(method="filter_team", help_text="Owner team slug, or `none`.")
    # Without the page's label ("Due"), so the API's schema reads as it did.
    overdue = django_filters.ChoiceFilter(choices=[("true", "Overdue")], method="filter_overdue")

    def __init__(self, *args, **kwargs):
        # Skip FollowUpFilter's choices of teams: `team` is checked by its field instead.
        django_filters.FilterSet.__init__(self, *args, **kwargs)


class ParticipantFilter(django_filters.FilterSet):
    review = _IdFilter(field_name="review_id")
    interviewed = django_filters.ChoiceFilter(
        choices=[("true", "Interviewed"), ("false", "Not interviewed")], method="filter_interviewed"
    )

    class Meta:
        model = Participant
        fields: list[str] = []

    def filter_interviewed(self, queryset, name, value):
        return queryset.filter(interviewed_at__isnull=value != "true")
