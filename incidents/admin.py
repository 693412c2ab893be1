"""The admin of the catalog (teams, systems), of deployments and of near misses.

Incidents, their signals, timeline and themes are registered by reviews/admin/: a published
review freezes them, and the admin must know it."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from incidents import admin_input
from incidents.forms import SlugFromNameForm
from incidents.models import (
    Deployment,
    Difficulty,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
)


@admin.register(Team)
class TeamAdmin(admin_input.ModelAdmin):
    form = SlugFromNameForm
    list_display = ["name", "contact", "notify_email", "system_count"]
    search_fields = ["name", "slug", "contact"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_system_count=Count("systems"))

    @admin.display(description="systems", ordering="_system_count")
    def system_count(self, team):
        return team._system_count


class HasOwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "has_owner"

    def lookups(self, request, model_admin):
        return [("no", "No owner (gap)"), ("yes", "Has an owner")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.without_owner()
        if self.value() == "yes":
            return queryset.filter(owner_team__isnull=False)
        return queryset


@admin.register(System)
class SystemAdmin(admin_input.ModelAdmin):
    form = SlugFromNameForm
    list_display = ["name", "owner", "tier"]
    list_filter = [HasOwnerFilter, "tier", "owner_team"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["owner_team"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["owner_team"]

    @admin.display(description="owner team", ordering="owner_team__name")
    def owner(self, system):
        return system.owner_team or "⚠ no owner"


@admin.register(Deployment)
class DeploymentAdmin(admin_input.ModelAdmin):
    """Deployments hold nothing of an incident: the incidents they caused are shown where
    those incidents are (the incident admin decides who sees them), never here."""

    list_display = ["system", "deployed_at", "environment", "outcome", "ref", "source"]
    list_filter = [
        "environment",
        "outcome",
        "source",
        ("system", admin.RelatedOnlyFieldListFilter),
        "deployed_at",
    ]
    search_fields = ["ref", "external_id", "system__name", "system__slug"]
    date_hierarchy = "deployed_at"
    autocomplete_fields = ["system"]
    list_select_related = ["system"]
    fields = [
        "system",
        ("deployed_at", "environment"),
        ("ref", "outcome"),
        "url",
        ("source", "external_id"),
    ]


class SignalInline(admin_input.StackedInline):
    """The fields of a signal as an inline row; near misses use these as they are, incidents
    through reviews/admin/, where a published review freezes them."""

    extra = 0
    autocomplete_fields = ["system"]


class SurpriseInline(SignalInline):
    model = Surprise
    fields = ["system", ("expected", "observed"), ("noticed_at", "noticed_by"), "notes"]


class DifficultyInline(SignalInline):
    model = Difficulty
    fields = ["system", ("category", "source", "minutes_lost"), "description"]


class OwnershipGapInline(SignalInline):
    model = OwnershipGap
    fields = [
        "system",
        ("kind", "minutes_to_find_owner"),
        "description",
        ("resolved", "resolved_by_team"),
    ]
    autocomplete_fields = ["system", "resolved_by_team"]


class NearMissSignalInline:
    exclude = ["incident"]


class NearMissSurpriseInline(NearMissSignalInline, SurpriseInline):
    pass


class NearMissDifficultyInline(NearMissSignalInline, DifficultyInline):
    pass


class NearMissOwnershipGapInline(NearMissSignalInline, OwnershipGapInline):
    pass


@admin.register(NearMiss)
class NearMissAdmin(admin_input.ModelAdmin):
    list_display = ["title", "occurred_at", "stopped_by", "potential_severity", "reporter"]
    list_filter = [
        "stopped_by",
        "potential_severity",
        ("systems", admin.RelatedOnlyFieldListFilter),
        "occurred_at",
    ]
    search_fields = ["title", "description", "narrative"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["systems", "reported_by"]
    inlines = [NearMissSurpriseInline, NearMissDifficultyInline, NearMissOwnershipGapInline]
    fieldsets = [
        (None, {"fields": ["title", "description", ("occurred_at", "detected_at"), "systems"]}),
        (
            "How it was caught",
            {"fields": [("detection_method", "detected_by"), "stopped_by"]},
        ),
        (
            "What could have happened",
            {"fields": ["worst_credible_outcome", "potential_severity", "contributing_factors"]},
        ),
        (None, {"fields": ["narrative", "reported_by"]}),
    ]

    @admin.display(description="reported by")
    def reporter(self, near_miss):
        return near_miss.reporter_display

    # The admin's change log would name whoever typed an anonymous report in: keep no log
    # of adding or changing one, so anonymity holds in the history page too.
    def log_addition(self, request, obj, message):
        if not obj.is_anonymous:
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not obj.is_anonymous:
            return super().log_change(request, obj, message)
        return None

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reported_by")
