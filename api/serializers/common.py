"""What the API's serializers share: related records by the name people use, limited to what
the requesting user may see, and the model's own `clean()` as the API's validation.

Incidents are named by reference (INC-0042), teams, systems and themes by slug, people by
username. Fields that point at an incident only accept incidents the requesting user may see,
so a private incident cannot be probed through them.
"""

from __future__ import annotations

import copy

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from incidents.models import Incident
from reviews.models import Review

User = get_user_model()


class SlugField(serializers.SlugRelatedField):
    """A related object by slug; a NUL character is refused before PostgreSQL sees it, and an
    empty string is not taken for null."""

    default_error_messages = {"blank": "Send null for none, not an empty string."}

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for every relation (an HTML form's empty select); bodies are
        # JSON here, where "" names nothing and would remove a lead without a word.
        if data == "":
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value="(contains NUL)")
        return super().to_internal_value(data)


def user_field(**kwargs) -> serializers.SlugRelatedField:
    return SlugField(slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs)


def slug_field(model, **kwargs) -> serializers.SlugRelatedField:
    return SlugField(slug_field="slug", queryset=model.objects.all(), **kwargs)


def request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ModelCleanMixin:
    """Run the model's `clean()` on the would-be instance, so the API refuses exactly what the
    admin and the forms refuse (e.g. detected before started), as field-level 400s."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        concrete = {field.name for field in model._meta.concrete_fields}
        instance = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        try:
            instance.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return attrs


class IncidentReferenceField(SlugField):
    """An incident by reference, limited to the incidents the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="reference", queryset=Incident.objects.all(), **kwargs)

    def get_queryset(self):
        user = request_user(self)
        return Incident.objects.visible_to(user) if user is not None else Incident.objects.none()


class VisibleReviewField(serializers.PrimaryKeyRelatedField):
    """A review by id, limited to reviews of incidents the requesting user may see: a hidden
    one is answered like a missing one."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Review.objects.all(), **kwargs)

    def get_queryset(self):
        user = request_user(self)
        if user is None:
            return Review.objects.none()
        return Review.objects.visible_to(user)
