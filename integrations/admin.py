"""The admin of integrations: create one (its token is shown once), see its last deliveries.

A delivery about an incident someone may not see (a private one, or one made private since)
is left out for them altogether: its group key and error could name what the incident is
about (`Incident.objects.visible_to`, as everywhere else in the admin)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Q, Subquery
from django.utils.html import format_html

from incidents import admin_input
from incidents.models import Incident
from integrations.models import Delivery, Integration, ReminderSent

RECENT_DELIVERIES = 50


def deliveries_visible_to(queryset, user):
    """The deliveries about no incident, or about one the user may see."""
    if user.is_superuser:
        return queryset
    return queryset.filter(
        Q(incident__isnull=True) | Q(incident__in=Incident.objects.visible_to(user))
    )


def incident_link(delivery) -> str:
    if delivery.incident_id is None:
        return "—"
    incident = delivery.incident
    return format_html('<a href="{}">{}</a>', incident.get_absolute_url(), incident.reference)


class IntegrationForm(forms.ModelForm):
    # The secret is never shown again: the field starts empty, and left empty it keeps the
    # secret already stored.
    signing_secret = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=Integration._meta.get_field("signing_secret").help_text
        + " Leave empty to keep the current one.",
    )

    class Meta:
        model = Integration
        fields = [
            "name",
            "kind",
            "is_active",
            "signing_secret",
            "system_label",
            "default_system",
            "severity_label",
            "default_severity",
            "severity_mapping",
            "incident_source",
        ]

    def clean_signing_secret(self):
        value = self.cleaned_data.get("signing_secret", "")
        if not value and self.instance.pk is not None:
            return self.instance.signing_secret
        return value


@admin.register(Integration)
class IntegrationAdmin(admin_input.ModelAdmin):
    form = IntegrationForm
    list_display = ["name", "kind", "is_active", "last_delivery_at", "last_outcome"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    actions = ["issue_new_token"]
    readonly_fields = ["token_state", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active", "token_state", "signing_secret"]}),
        (
            "How alerts and pages become incidents",
            {
                "fields": [
                    ("system_label", "default_system"),
                    ("severity_label", "default_severity"),
                    "severity_mapping",
                    "incident_source",
                ]
            },
        ),
        (None, {"fields": ["created_at"]}),
    ]
    change_form_template = "admin/integrations/integration/change_form.html"

    def get_queryset(self, request):
        last = Delivery.objects.filter(integration=OuterRef("pk")).order_by("-received_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                _last_delivery_at=Subquery(last.values("received_at")[:1]),
                _last_outcome=Subquery(last.values("outcome")[:1]),
            )
        )

    @admin.display(description="last delivery", ordering="_last_delivery_at")
    def last_delivery_at(self, integration):
        return integration._last_delivery_at or "never"

    @admin.display(description="its outcome")
    def last_outcome(self, integration):
        if integration._last_outcome is None:
            return "—"
        return Delivery.Outcome(integration._last_outcome).label

    @admin.display(description="token")
    def token_state(self, integration):
        if not integration.uses_token:
            return "— (PagerDuty signs its deliveries with the signing secret)"
        if integration.token_hash:
            return (
                "Issued (only its hash is kept). Use the action “Issue a new token” to replace it."
            )
        return "Issued when you save."

    def save_model(self, request, obj, form, change):
        token = obj.issue_token() if obj.uses_token and not obj.token_hash else None
        super().save_model(request, obj, form, change)
        if token:
            self._show_token_once(request, obj, token)

    @admin.action(description="Issue a new token (the old one stops working)")
    def issue_new_token(self, request, queryset):
        for integration in queryset:
            if not integration.uses_token:
                continue
            token = integration.issue_token()
            integration.save(update_fields=["token_hash"])
            self._show_token_once(request, integration, token)

    def _show_token_once(self, request, integration, token: str) -> None:
        messages.warning(
            request,
            format_html(
                "The token of “{}” is <code>{}</code>. Copy it now: it is not stored and "
                "will not be shown again.",
                integration.name,
                token,
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        deliveries = Delivery.objects.none()
        if object_id and object_id.isdigit():
            deliveries = deliveries_visible_to(
                Delivery.objects.filter(integration_id=object_id).select_related("incident"),
                request.user,
            )[:RECENT_DELIVERIES]
        extra_context = {
            **(extra_context or {}),
            "recent_deliveries": [
                {"delivery": delivery, "incident": incident_link(delivery)}
                for delivery in deliveries
            ],
            "recent_limit": RECENT_DELIVERIES,
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Delivery)
class DeliveryAdmin(admin_input.ModelAdmin):
    """Read-only: deliveries are written by the receivers alone."""

    list_display = ["received_at", "integration", "outcome", "http_status", "event", "incident_"]
    list_filter = ["integration", "outcome", "http_status"]
    search_fields = ["event_key", "error"]
    date_hierarchy = "received_at"
    list_select_related = ["integration", "incident"]
    fields = ["received_at", "integration", "outcome", "http_status", "event_key", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return deliveries_visible_to(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="event or group")
    def event(self, delivery):
        return delivery.event_key[:80]

    @admin.display(description="incident")
    def incident_(self, delivery):
        return incident_link(delivery)


@admin.register(ReminderSent)
class ReminderSentAdmin(admin_input.ModelAdmin):
    """Read-only, written by `send_reminders`; deleting a row lets that day's digest be sent
    again by the next run."""

    list_display = ["day", "team", "channel", "sent_at"]
    list_filter = ["channel", "team"]
    date_hierarchy = "day"
    list_select_related = ["team"]
    fields = ["day", "team", "channel", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
