"""The admin is where responders log incidents on the day: one page per incident."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from incidents.admin_scoping import FrozenWithParentInlineMixin, PrivateIncidentAdmin
from incidents.formatting import format_duration
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
    TimelineEntry,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "contact", "system_count"]
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
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "tier"]
    list_filter = [HasOwnerFilter, "tier", "owner_team"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["owner_team"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["owner_team"]

    @admin.display(description="owner team", ordering="owner_team__name")
    def owner(self, system):
        return system.owner_team or "⚠ no owner"


class IncidentSystemInline(FrozenWithParentInlineMixin, admin.TabularInline):
    model = IncidentSystem
    extra = 1
    autocomplete_fields = ["system"]


class SignalInline(FrozenWithParentInlineMixin, admin.StackedInline):
    extra = 0
    autocomplete_fields = ["system"]
    exclude = ["near_miss"]


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


class TimelineEntryInline(FrozenWithParentInlineMixin, admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ["at", "kind", "text", "evidence_url", "author"]
    autocomplete_fields = ["author"]


@admin.register(Incident)
class IncidentAdmin(PrivateIncidentAdmin):
    list_display = ["reference", "title", "severity", "status", "started_at", "system_names"]
    list_filter = [
        "severity",
        "status",
        ("systems", admin.RelatedOnlyFieldListFilter),
        ("teams", admin.RelatedOnlyFieldListFilter),
        "is_private",
        "source",
        "started_at",
    ]
    search_fields = ["reference", "title", "summary"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["teams", "lead", "responders"]
    readonly_fields = ["reference", "time_to_detect", "time_to_mitigate", "time_to_resolve"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "summary", ("severity", "status")]}),
        (
            "When",
            {
                "fields": [
                    ("started_at", "detected_at"),
                    ("mitigated_at", "resolved_at"),
                    ("time_to_detect", "time_to_mitigate", "time_to_resolve"),
                ]
            },
        ),
        ("Who", {"fields": ["lead", "teams", "responders"]}),
        ("Impact", {"fields": ["customer_impact", "is_private"]}),
        ("Source", {"fields": [("source", "external_id")], "classes": ["collapse"]}),
    ]
    inlines = [
        IncidentSystemInline,
        TimelineEntryInline,
        SurpriseInline,
        DifficultyInline,
        OwnershipGapInline,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("systems")

    @admin.display(description="systems")
    def system_names(self, incident):
        return ", ".join(system.name for system in incident.systems.all())

    @admin.display(description="time to detect")
    def time_to_detect(self, incident):
        return _duration(incident.time_to_detect)

    @admin.display(description="time to mitigate")
    def time_to_mitigate(self, incident):
        return _duration(incident.time_to_mitigate)

    @admin.display(description="time to resolve")
    def time_to_resolve(self, incident):
        return _duration(incident.time_to_resolve)


def _duration(delta) -> str:
    return format_duration(delta)


class NearMissSignalInline:
    exclude = ["incident"]


class NearMissSurpriseInline(NearMissSignalInline, SurpriseInline):
    pass


class NearMissDifficultyInline(NearMissSignalInline, DifficultyInline):
    pass


class NearMissOwnershipGapInline(NearMissSignalInline, OwnershipGapInline):
    pass


@admin.register(NearMiss)
class NearMissAdmin(admin.ModelAdmin):
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


class SignalAdmin(PrivateIncidentAdmin):
    autocomplete_fields = ["incident", "near_miss", "system"]
    list_select_related = ["incident", "near_miss", "system"]
    list_filter = [("system", admin.RelatedOnlyFieldListFilter), "created_at"]

    @admin.display(description="incident or near miss")
    def subject(self, signal):
        return signal.subject


@admin.register(Surprise)
class SurpriseAdmin(SignalAdmin):
    list_display = ["__str__", "subject", "system", "noticed_at"]
    search_fields = ["expected", "observed", "notes"]


@admin.register(Difficulty)
class DifficultyAdmin(SignalAdmin):
    list_display = ["category", "subject", "system", "source", "minutes_lost"]
    list_filter = ["category", "source", *SignalAdmin.list_filter]
    search_fields = ["description"]


@admin.register(OwnershipGap)
class OwnershipGapAdmin(SignalAdmin):
    list_display = ["kind", "subject", "system", "resolved", "resolved_by_team"]
    list_filter = ["kind", "resolved", *SignalAdmin.list_filter]
    search_fields = ["description", "system__name"]
    autocomplete_fields = [*SignalAdmin.autocomplete_fields, "resolved_by_team"]
