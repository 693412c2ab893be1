"""The admin is where responders log incidents on the day: one page per incident, with its
systems, timeline and signals inline.

It is registered here, above incidents/, because a published review freezes what it is built on,
in the admin as in the web UI (`scoping`)."""

from __future__ import annotations

from django.contrib import admin

from incidents import admin_input
from incidents.admin import DifficultyInline, OwnershipGapInline, SurpriseInline
from incidents.formatting import format_duration
from incidents.forms import SlugFromNameForm
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    OwnershipGap,
    Surprise,
    Theme,
    TimelineEntry,
)
from reviews.admin.scoping import (
    FrozenWithParentInlineMixin,
    IncidentVisibleAdmin,
    PrivateIncidentAdmin,
    ScopedChoicesMixin,
    choices_for,
)


class IncidentSystemInline(FrozenWithParentInlineMixin, admin_input.TabularInline):
    model = IncidentSystem
    extra = 1
    autocomplete_fields = ["system"]


class IncidentSignalInline(FrozenWithParentInlineMixin):
    exclude = ["near_miss"]


class IncidentSurpriseInline(IncidentSignalInline, SurpriseInline):
    pass


class IncidentDifficultyInline(IncidentSignalInline, DifficultyInline):
    pass


class IncidentOwnershipGapInline(IncidentSignalInline, OwnershipGapInline):
    pass


class TimelineEntryInline(FrozenWithParentInlineMixin, admin_input.TabularInline):
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
        "triggered_by_change",
        "source",
        "started_at",
    ]
    search_fields = ["reference", "title", "summary"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["teams", "lead", "responders", "caused_by"]
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
        ("Cause", {"fields": [("triggered_by_change", "caused_by")]}),
        ("Source", {"fields": [("source", "external_id")], "classes": ["collapse"]}),
    ]
    inlines = [
        IncidentSystemInline,
        TimelineEntryInline,
        IncidentSurpriseInline,
        IncidentDifficultyInline,
        IncidentOwnershipGapInline,
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


@admin.register(Theme)
class ThemeAdmin(ScopedChoicesMixin, admin_input.ModelAdmin):
    form = SlugFromNameForm
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
