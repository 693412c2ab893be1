from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from incidents.admin_scoping import (
    FrozenWithParentInlineMixin,
    PrivateIncidentAdmin,
    ScopedChoicesMixin,
    choices_for,
)
from incidents.models import Theme, TimelineEntry
from reviews.models import ActionItem, Participant, Review, SurveyResponse


class ActionItemInline(FrozenWithParentInlineMixin, admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner_team", "assignee", "due_date", "status", "kind", "external_url"]
    autocomplete_fields = ["owner_team", "assignee"]


class ParticipantInline(FrozenWithParentInlineMixin, admin.TabularInline):
    model = Participant
    extra = 0
    fields = ["user", "name", "role", "team", "interviewed_at", "interview_notes"]
    autocomplete_fields = ["user", "team"]


class IncidentVisibleAdmin(PrivateIncidentAdmin, SimpleHistoryAdmin):
    """Rows hanging off a private incident are as private as the incident, history included."""


@admin.register(Review)
class ReviewAdmin(IncidentVisibleAdmin):
    incident_path = "incident"
    list_display = ["incident", "status", "facilitator", "scheduled_for", "published_at"]
    list_filter = ["status", "published_at"]
    search_fields = ["incident__reference", "incident__title", "narrative"]
    autocomplete_fields = ["incident", "facilitator"]
    list_select_related = ["incident", "facilitator"]
    readonly_fields = ["version"]
    inlines = [ParticipantInline, ActionItemInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(IncidentVisibleAdmin):
    incident_path = "incident"
    list_display = ["incident", "at", "kind", "short_text", "author"]
    list_filter = ["kind", "at"]
    search_fields = ["text", "incident__reference"]
    autocomplete_fields = ["incident", "author"]
    list_select_related = ["incident", "author"]

    @admin.display(description="text")
    def short_text(self, entry):
        return entry.text[:80]


@admin.register(ActionItem)
class ActionItemAdmin(IncidentVisibleAdmin):
    incident_path = "review__incident"
    list_display = ["title", "review", "owner", "assignee", "due_date", "status", "kind"]
    list_filter = ["status", "kind", ("owner_team", admin.RelatedOnlyFieldListFilter), "due_date"]
    search_fields = ["title", "description", "review__incident__reference"]
    autocomplete_fields = ["review", "owner_team", "assignee"]
    list_select_related = ["review__incident", "owner_team", "assignee"]

    @admin.display(description="owner team", ordering="owner_team__name")
    def owner(self, item):
        return item.owner_team or "⚠ no owner"


@admin.register(Theme)
class ThemeAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["incidents"]
    autocomplete_fields = ["surprises", "difficulties"]
    tagged_fields = ["incidents", "surprises", "difficulties"]

    def save_related(self, request, form, formsets, change):
        """Keep the links to records this user may not see or change: the form never offered
        them, so saving it must not drop them."""
        kept = {}
        if change:
            for name in self.tagged_fields:
                related = getattr(form.instance, name)
                offered = choices_for(related.model, request.user)
                if offered is not None:
                    kept[name] = list(related.exclude(pk__in=offered.values("pk")))
        super().save_related(request, form, formsets, change)
        for name, records in kept.items():
            getattr(form.instance, name).add(*records)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(IncidentVisibleAdmin):
    incident_path = "review__incident"
    list_display = [
        "review",
        "respondent",
        "learned_something",
        "would_attend_again",
        "submitted_at",
    ]
    list_filter = ["learned_something", "would_attend_again", "submitted_at"]
    search_fields = ["review__incident__reference", "still_unclear"]
    autocomplete_fields = ["review", "respondent"]
    list_select_related = ["review__incident", "respondent"]


@admin.register(Participant)
class ParticipantAdmin(IncidentVisibleAdmin):
    incident_path = "review__incident"
    list_display = ["__str__", "review", "team", "interviewed_at"]
    list_filter = ["role", "interviewed_at"]
    search_fields = ["name", "user__username", "review__incident__reference"]
    autocomplete_fields = ["review", "user", "team"]
    list_select_related = ["review__incident", "user", "team"]
