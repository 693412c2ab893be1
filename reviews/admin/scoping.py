"""What keeps the admin as private and as frozen as the web UI and the API.

- Rows of a private incident (and everything hanging off it) are left out of lists, change
  pages, history pages, the links a change page lists (a theme's incidents) and, just as
  important, out of the choices a form offers and accepts: otherwise posting the id of a
  hidden incident would attach something to it.
- The admin's site-wide pages that name records (recent actions, "view on site") ask these
  admins' querysets too (config/admin.py).
- Once a review is published, what it is built on (the incident, its timeline and signals,
  the review, its participants and follow-ups) is read-only in the admin, as in the web UI.
  Superusers are the exception: the admin is their repair tool. The permission checks run
  when the page is posted; the save re-checks under the review's lock
  (`reviews.freeze.unless_published`), as a publication can commit in between.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.db.models import Prefetch
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from incidents import admin_input
from incidents.admin_input import is_storable_key
from incidents.models import Difficulty, Incident, Surprise, sees_every_incident
from reviews.freeze import unless_published
from reviews.models import Review
from reviews.rules import is_frozen_for


def visible_rows(model, user):
    """The rows of `model` this user may see, or None when every row is visible to them."""
    if sees_every_incident(user):
        return None
    if model is Incident:
        return Incident.objects.visible_to(user)
    if model is Review:
        return Review.objects.visible_to(user)
    if model in (Surprise, Difficulty):
        return model.objects.visible_to(user)
    return None


def choices_for(model, user):
    """The related objects a form may offer this user, or None for no restriction: those
    they may see, less an incident or review that a published review freezes."""
    visible = visible_rows(model, user)
    if visible is not None and model is Incident:
        return visible.exclude(review__status=Review.Status.PUBLISHED)
    if visible is not None and model is Review:
        return visible.exclude(status=Review.Status.PUBLISHED)
    return visible


class ScopedChoicesMixin:
    """Forms offer, and accept, only related objects the user may see and change; a record's
    many-to-many links list only those the user may see.

    A change page lists those links straight from the database: as read-only text for someone
    who may only view the record, as the form's initial value otherwise. Prefetched through
    `visible_rows`, they leave out what the user may not see (a theme's private incidents and
    their surprises)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        for field in self.model._meta.many_to_many:
            visible = visible_rows(field.related_model, request.user)
            if visible is not None:
                queryset = queryset.prefetch_related(Prefetch(field.name, queryset=visible))
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = choices_for(db_field.related_model, request.user)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = choices_for(db_field.related_model, request.user)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class PrivateIncidentAdmin(ScopedChoicesMixin, admin_input.ModelAdmin):
    """Base of every admin whose rows belong to an incident.

    `incident_path` leads from the model to its incident; None means the model's own
    QuerySet knows how to filter itself (`visible_to`).
    """

    incident_path: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if self.incident_path is None:
            return queryset.visible_to(request.user)
        visible = Incident.objects.visible_to(request.user)
        return queryset.filter(**{f"{self.incident_path}__in": visible})

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(request, obj)

    def _frozen(self, request, obj) -> bool:
        return is_frozen_for(request.user, obj)

    def save_model(self, request, obj, form, change):
        # The admin saves a page (inlines too) in one transaction: the lock taken here holds
        # until the inlines are saved as well.
        with unless_published(obj, by=request.user):
            return super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with unless_published(obj, by=request.user):
            return super().delete_model(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history's history pages do not go through get_queryset.
        self._404_unless_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._404_unless_visible(request, object_id)
        # django-simple-history looks the version up as given: a word there was a 500.
        history_id = self.model.history.model._meta.pk
        if not is_storable_key(history_id, version_id):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _404_unless_visible(self, request, object_id) -> None:
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404


class FrozenWithParentInlineMixin(ScopedChoicesMixin):
    """Inline rows of a published review's incident or review cannot be added, changed or
    deleted (except by superusers)."""

    def _frozen(self, request, parent) -> bool:
        return is_frozen_for(request.user, parent)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._frozen(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(request, obj)


class IncidentVisibleAdmin(PrivateIncidentAdmin, SimpleHistoryAdmin):
    """Rows hanging off a private incident are as private as the incident, history included."""

