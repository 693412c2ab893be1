"""Whether a submitted id can be looked up at all, before a query tries.

A form field looks ids up as they come; some values make the database raise instead of find
nothing: a NUL in text (PostgreSQL), an integer past 64 bits (SQLite's OverflowError). Forms
and the admin ask `is_storable_key` first and treat such a value as an unknown id.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection, models


def is_storable_key(field: models.Field, raw) -> bool:
    """Whether raw parses as a value of field and the database can compare it."""
    text = str(raw)
    if "\x00" in text:
        return False
    try:
        value = field.to_python(text)
    except ValidationError:
        return False
    if value is None:
        return False
    if isinstance(field, models.IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or value >= low) and (high is None or value <= high)
    return True


class KeysField(forms.ModelMultipleChoiceField):
    """Several related objects by id; an id no database could hold is an unknown one (the
    field's own "not a valid value" message), not a crash."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            meta = self.queryset.model._meta
            key = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
            for raw in value:
                if raw not in self.empty_values and not is_storable_key(key, raw):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": raw},
                    )
        return super().clean(value)
