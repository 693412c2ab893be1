"""Forms for the incident pages (the near-miss report) and the catalog's admin (slugs)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from incidents.keys import KeysField
from incidents.models import NearMiss, Severity, System, Team
from incidents.slugs import NO_SLUG_MESSAGE, slug_for

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
# Clocks drift and people round up: a report a few minutes "in the future" is not a mistake.
FUTURE_TOLERANCE = timedelta(minutes=10)


class DateInput(forms.DateInput):
    """The browser's date picker, with the ISO value it expects: the one date widget of every
    form and filter bar."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_INPUT)


# The filter bars' catalog fields: the same labels, choices and slugs in every bar (the queue's,
# the dashboards'), as the lists' FilterSets (incidents/filters.py) take the same values.


def team_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any team",
    )


def system_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="System",
        queryset=System.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any system",
    )


def severity_filter_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices]
    )


class NearMissForm(forms.ModelForm):
    """The under-a-minute report: six things up front, the rest optional."""

    anonymous = forms.BooleanField(
        required=False,
        label="Report anonymously",
        help_text="Your name is not stored with the report, and nobody will see who sent it.",
    )

    class Meta:
        model = NearMiss
        fields = [
            "title",
            "description",
            "occurred_at",
            "systems",
            "stopped_by",
            "worst_credible_outcome",
            "detected_at",
            "detection_method",
            "detected_by",
            "potential_severity",
            "contributing_factors",
        ]
        labels = {
            "title": "In one line",
            "description": "What happened",
            "occurred_at": "When (UTC)",
            "stopped_by": "What stopped it becoming an incident",
            "worst_credible_outcome": "Worst credible outcome",
            "detected_at": "Noticed at (UTC)",
            "detection_method": "How it was caught",
            "detected_by": "Caught by",
        }
        help_texts = {
            "description": "",
            "worst_credible_outcome": "Had nothing stopped it, what could realistically have happened?",
            "systems": "",
        }
        field_classes = {"systems": KeysField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "worst_credible_outcome": forms.Textarea(attrs={"rows": 2}),
            "contributing_factors": forms.Textarea(attrs={"rows": 2}),
            "occurred_at": DateTimeLocalInput(),
            "detected_at": DateTimeLocalInput(),
            "systems": forms.CheckboxSelectMultiple(),
        }

    # The optional part of the form, shown folded so the required part fits on one screen.
    optional_fields = (
        "detected_at",
        "detection_method",
        "detected_by",
        "potential_severity",
        "contributing_factors",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].input_formats = [DATETIME_INPUT]
        self.fields["detected_at"].input_formats = [DATETIME_INPUT]
        self.fields["worst_credible_outcome"].required = True
        self.fields["systems"].queryset = System.objects.order_by("name")
        self.fields["systems"].required = False
        # No preselected answer: "what stopped it" is the heart of a near miss, worth one click.
        self.fields["stopped_by"].choices = [("", "Choose one"), *NearMiss.StoppedBy.choices]
        self.initial.pop("stopped_by", None)
        self.fields["stopped_by"].initial = None
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.now().replace(second=0, microsecond=0))

    @property
    def required_part(self):
        return [self[name] for name in self.fields if name not in self.optional_fields]

    @property
    def optional_part(self):
        return [self[name] for name in self.optional_fields]

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError("This is in the future; when did it happen?")
        return occurred_at


class SlugFromNameForm(forms.ModelForm):
    """The admin form of a team, system or theme: an empty slug is derived from the name on the
    server (the admin's prepopulating script folds only Latin letters, so it leaves "数据库"
    without one), and a derived slug another row holds is a field error, like a typed one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Leave it empty to derive it from the name."

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug")
        name = self.cleaned_data.get("name")
        if slug or name is None:  # no name: its own error says so
            return slug
        if not slug_for(name):
            raise forms.ValidationError(NO_SLUG_MESSAGE)
        return slug_for(name)
