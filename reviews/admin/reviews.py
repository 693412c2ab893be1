"""The admin of reviews, their participants, follow-ups and survey answers."""

from __future__ import annotations

from django.contrib import admin

from incidents import admin_input
from reviews.admin.scoping import FrozenWithParentInlineMixin, IncidentVisibleAdmin
from reviews.models import ActionItem, Participant, Review, SurveyResponse


class ActionItemInline(FrozenWithParentInlineMixin, admin_input.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner_team", "assignee", "due_date", "status", "kind", "external_url"]
    autocomplete_fields = ["owner_team", "assignee"]


class ParticipantInline(FrozenWithParentInlineMixin, admin_input.TabularInline):
    model = Participant
    extra = 0
    fields = ["user", "name", "role", "team", "interviewed_at", "interview_notes"]
    autocomplete_fields = ["user", "team"]


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
