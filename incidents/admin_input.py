"""What Django's admin takes on trust from a request, made safe for every admin of the project.

The admin looks some submitted values up without checking them first, because it rendered
them itself; a hand-made request (or a stale tab) can send anything, and these were 500s:

- an autocomplete field shown again after a form error looks its ids up to label them: a word,
  1.5, a 30-digit number or a NUL crashed the page. The widget now leaves them out instead of
  looking them up, and the field refuses them with its own message (a many-to-many field
  looked them up too, and SQLite overflowed: `KeysField`);
- an action looks up the ticked ids the same way;
- the date drill-down builds dates from the URL, and Python's datetime stops at year 9999.

Every ModelAdmin and inline of incidents/ and reviews/ uses `AdminInputMixin`
(tests/incidents/test_admin_bad_input.py checks that none is left out).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple

from incidents.keys import KeysField, is_storable_key


class _KnownIdsOnly:
    """Label only the submitted ids that can be looked up; the field reports the others."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        return super().optgroups(name, [v for v in value if is_storable_key(target, v)], attr)


class KnownIdsAutocompleteSelect(_KnownIdsOnly, AutocompleteSelect):
    pass


class KnownIdsAutocompleteSelectMultiple(_KnownIdsOnly, AutocompleteSelectMultiple):
    pass


class _DateDrillDownChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            # Django checks the drill-down's year, month and day, not the end of the range it
            # computes from them (year 9999 + 1): a filter the admin cannot apply, as any other.
            raise IncorrectLookupParameters(error) from error


class AdminInputMixin:
    """For ModelAdmins and inlines alike (inlines use only the form-field part)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownIdsAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownIdsAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", KeysField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changelist(self, request, **kwargs):
        return _DateDrillDownChangeList

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_storable_key(self.model._meta.pk, value) for value in selected):
            self.message_user(
                request,
                "Some of the selected items are not in this list; nothing was changed.",
                messages.WARNING,
            )
            return None  # the admin then redirects back to the list
        return super().response_action(request, queryset)


class ModelAdmin(AdminInputMixin, admin.ModelAdmin):
    pass


class StackedInline(AdminInputMixin, admin.StackedInline):
    pass


class TabularInline(AdminInputMixin, admin.TabularInline):
    pass
