"""Forms for the review pages: one per section or item, each checking its own input.

Text has a length limit (the models' TextFields have none), links must be http(s), and a new
follow-up may not be due in the past. Errors land on the field they are about.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator, URLValidator
from django.db.models import Q

from incidents.days import utc_today
from incidents.formatting import person_choice
from incidents.forms import (
    DateInput,
    DateTimeLocalInput,
    severity_filter_field,
    system_filter_field,
    team_filter_field,
)
from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    OwnershipGap,
    Surprise,
    System,
    Theme,
    TimelineEntry,
)
from incidents.slugs import NO_SLUG_MESSAGE, slug_for
from reviews.models import ActionItem, Participant
from reviews.rules import follow_up_assignees
from reviews.selectors import CUES, QueueFilters

SECTION_MAX_LENGTH = 20_000
# People in drop-downs, by the name the pages show.
PEOPLE_ORDER = ("first_name", "last_name", "username")
ITEM_TEXT_MAX_LENGTH = 5_000


class SectionForm(forms.Form):
    """One free-text section of the review, carrying the version it was loaded at."""

    text = forms.CharField(
        required=False,
        max_length=SECTION_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, label: str = "", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].help_text = help_text


class ItemForm(forms.ModelForm):
    """What every item form shares: bounded text, http(s) links, readable widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            if isinstance(form_field, forms.URLField):
                form_field.validators = [URLValidator(schemes=["http", "https"])]
                form_field.assume_scheme = "https"
                form_field.widget.attrs["placeholder"] = "https://"
            elif isinstance(form_field, forms.CharField) and form_field.max_length is None:
                form_field.max_length = ITEM_TEXT_MAX_LENGTH
                form_field.validators.append(MaxLengthValidator(ITEM_TEXT_MAX_LENGTH))
            if isinstance(form_field.widget, forms.Textarea):
                form_field.widget.attrs["rows"] = 3
        if "system" in self.fields:
            self.fields["system"].queryset = System.objects.order_by("name")
            self.fields["system"].empty_label = "No particular system"


class TimelineEntryForm(ItemForm):
    class Meta:
        model = TimelineEntry
        fields = ["at", "kind", "text", "evidence_url"]
        widgets = {"at": DateTimeLocalInput()}
        labels = {"at": "When (UTC)", "evidence_url": "Evidence link"}


class SurpriseForm(ItemForm):
    class Meta:
        model = Surprise
        fields = ["expected", "observed", "system", "noticed_by", "noticed_at", "notes"]
        widgets = {"noticed_at": DateTimeLocalInput()}
        labels = {"noticed_at": "Noticed at (UTC)"}
        error_messages = {
            "expected": {"required": "Say what people expected to happen."},
            "observed": {"required": "Say what actually happened."},
        }


class DifficultyForm(ItemForm):
    class Meta:
        model = Difficulty
        fields = ["category", "description", "system", "source", "minutes_lost"]
        labels = {"description": "What was hard to understand"}


class OwnershipGapForm(ItemForm):
    class Meta:
        model = OwnershipGap
        fields = [
            "kind",
            "system",
            "description",
            "minutes_to_find_owner",
            "resolved",
            "resolved_by_team",
        ]


class ParticipantForm(ItemForm):
    class Meta:
        model = Participant
        fields = ["user", "name", "role", "team", "interviewed_at", "interview_notes"]
        widgets = {"interviewed_at": DateTimeLocalInput()}
        labels = {"user": "Person", "name": "Or a name", "interviewed_at": "Interviewed at (UTC)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.order_by(*PEOPLE_ORDER)
        self.fields["user"].label_from_instance = person_choice


class FollowUpForm(ItemForm):
    class Meta:
        model = ActionItem
        fields = [
            "title",
            "owner_team",
            "assignee",
            "due_date",
            "kind",
            "status",
            "external_url",
            "description",
        ]
        widgets = {"due_date": DateInput()}
        labels = {
            "owner_team": "Owner team",
            "due_date": "Due date (UTC)",
            "external_url": "Ticket link",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].empty_label = "Nobody yet (a gap)"
        self.fields["assignee"].queryset = follow_up_assignees(
            keep=self.instance.assignee_id
        ).order_by(*PEOPLE_ORDER)
        self.fields["assignee"].label_from_instance = person_choice
        self.fields["assignee"].empty_label = "Nobody yet"

    def clean_due_date(self) -> date | None:
        due = self.cleaned_data.get("due_date")
        is_new = self.instance.pk is None
        moved = not is_new and due != self.initial.get("due_date")
        if due and (is_new or moved) and due < utc_today():
            raise forms.ValidationError("A follow-up cannot be due in the past.")
        return due


class FollowUpStatusForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["status"]


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="Review meeting (UTC)", required=False, widget=DateTimeLocalInput()
    )


class IncidentCauseForm(forms.ModelForm):
    """The change behind the incident: a deployment of one of its systems, or only that a
    change triggered it. Naming the deployment implies the change (`Incident.save`)."""

    # Deployments offered: those of the incident's systems in the weeks before it was
    # noticed, newest first (the one already named is always offered too).
    LOOKBACK = timedelta(days=30)
    CHOICES = 50

    class Meta:
        model = Incident
        fields = ["triggered_by_change", "caused_by"]
        labels = {
            "triggered_by_change": "Triggered by a change",
            "caused_by": "The deployment",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["triggered_by_change"].help_text = ""  # the deployment's help says it
        incident = self.instance
        until = incident.detected_at or incident.started_at
        offered = list(
            Deployment.objects.filter(
                system__in=incident.systems.all(),
                deployed_at__gte=incident.started_at - self.LOOKBACK,
                deployed_at__lte=until,
            )
            .order_by("-deployed_at", "-pk")
            .values_list("pk", flat=True)[: self.CHOICES]
        )
        if incident.caused_by_id is not None:
            offered.append(incident.caused_by_id)
        field = self.fields["caused_by"]
        field.queryset = (
            Deployment.objects.filter(pk__in=offered)
            .select_related("system")
            .order_by("-deployed_at", "-pk")
        )
        field.empty_label = "Unknown, or none"
        field.help_text = (
            "Deployments of its systems in the 30 days before it was detected. Choosing one "
            "says a change triggered it."
        )


class ThemeAttachForm(forms.Form):
    theme = forms.ModelChoiceField(queryset=Theme.objects.all(), empty_label="Choose a theme")


class ThemeCreateForm(ItemForm):
    class Meta:
        model = Theme
        fields = ["name", "description"]
        labels = {"name": "New theme"}
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": "e.g. Retry storms"}),
            "description": forms.TextInput(attrs={"placeholder": "What it means (optional)"}),
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        slug = slug_for(name)
        if not slug:
            raise forms.ValidationError(NO_SLUG_MESSAGE)
        if Theme.objects.filter(Q(slug=slug) | Q(name__iexact=name)).exists():
            raise forms.ValidationError("The codebook already has this theme: attach it instead.")
        return name


class SurveyForm(forms.Form):
    YES_NO = [("yes", "Yes"), ("no", "No")]

    learned_something = forms.TypedChoiceField(
        label="Did you learn something that will change your work?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    would_attend_again = forms.TypedChoiceField(
        label="Would you come to another review?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    still_unclear = forms.CharField(
        label="What is still unclear?",
        required=False,
        max_length=ITEM_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class QueueFilterForm(forms.Form):
    """The review queue's filter bar (GET). Same names and meanings as the other lists'."""

    team = team_filter_field()
    system = system_filter_field()
    severity = severity_filter_field()
    cue = forms.ChoiceField(
        label="Worth a deep review", required=False, choices=[("", "Any"), *CUES.items()]
    )
    overdue = forms.ChoiceField(
        label="Due", required=False, choices=[("", "Any"), ("true", "Overdue")]
    )

    def filters_value(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            team=data["team"].slug if data.get("team") else None,
            system=data["system"].slug if data.get("system") else None,
            severity=data.get("severity") or None,
            cue=data.get("cue") or None,
            overdue=data.get("overdue") == "true",
        )
