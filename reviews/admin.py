from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reviews.models import ActionItem, Review, Theme, TimelineEntry


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner_team", "assignee", "due_date", "status", "kind", "external_url"]
    autocomplete_fields = ["owner_team", "assignee"]


class IncidentVisibleAdmin(SimpleHistoryAdmin):
    """Rows hanging off a private incident are as private as the incident."""

    def get_queryset(self, request):
        from incidents.models import Incident

        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{f"{self.incident_path}__in": Incident.objects.visible_to(request.user)}
        )


@admin.register(Review)
class ReviewAdmin(IncidentVisibleAdmin):
    incident_path = "incident"
    list_display = ["incident", "status", "facilitator", "scheduled_for", "published_at"]
    list_filter = ["status", "published_at"]
    search_fields = ["incident__reference", "incident__title", "narrative"]
    autocomplete_fields = ["incident", "facilitator"]
    list_select_related = ["incident", "facilitator"]
    readonly_fields = ["version"]
    inlines = [ActionItemInline]


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
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["incidents"]
    autocomplete_fields = ["surprises", "difficulties"]
