"""The incident import: one row (with its systems by name and its signals), the result, and
the per-row errors."""

from __future__ import annotations

import re

from django.db import models
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from api.serializers.common import ModelCleanMixin, SlugField, User
from incidents.models import Difficulty, Incident, IncidentSystem, OwnershipGap, Team
from incidents.slugs import validate_sluggable

# Related rows looked up per chunk of this many distinct values.
_LOOKUP_CHUNK = 1000


class _KnownFieldsOnly:
    """An unknown key is an error, not ignored: a misspelt column ("severty") would otherwise
    import every row with the default in silence."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {str(name): ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                errors.update(error.detail)
            raise serializers.ValidationError(errors or error.detail) from error
        if errors:
            raise serializers.ValidationError(errors)
        return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(value: str) -> None:
    if match := _SURROGATE.search(value):
        raise serializers.ValidationError(
            ProhibitSurrogateCharactersValidator.message.format(code_point=ord(match.group()))
        )


class _Text(serializers.CharField):
    """A CharField whose check for lone surrogates (which PostgreSQL cannot store) is one
    regex search: DRF's walks every character in Python, a sixth of validating an import."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitSurrogateCharactersValidator)
        ] + [_no_surrogates]


def _system_name(**kwargs) -> serializers.CharField:
    # An unknown name becomes a new system, whose slug comes from the name.
    return _Text(max_length=100, validators=[validate_sluggable], **kwargs)


def _loadable(value) -> bool:
    # A NUL or a lone surrogate cannot be sent to PostgreSQL; SlugField refuses them itself.
    return isinstance(value, str) and "\x00" not in value and not _SURROGATE.search(value)


class _Preloaded(SlugField):
    """A related row by slug, looked up in what the import loaded once for all its rows
    (`ImportRowListSerializer`) instead of one query per row; alone, as any SlugField."""

    def __init__(self, *, preload: str, **kwargs):
        self.preload = preload
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        loaded = getattr(self.root, "preloaded", {}).get(self.preload)
        if loaded is None or not _loadable(data):  # the usual answers to a bad value
            return super().to_internal_value(data)
        if data not in loaded:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return loaded[data]


def _named(rows, name: str) -> set[str]:
    """The strings the rows give for `name` (one, or a list): what to look up."""
    found = set()
    for row in rows:
        value = row.get(name) if isinstance(row, dict) else None
        found.update(
            item
            for item in (value if isinstance(value, list) else [value])
            if isinstance(item, str)
        )
    return found


class ImportRowListSerializer(serializers.ListSerializer):
    """The import's rows: the teams and leads they name are read once for all rows."""

    def to_internal_value(self, data):
        if isinstance(data, list):
            self.preloaded = {}
            for name, field in self.child.fields.items():
                relation = getattr(field, "child_relation", field)
                if isinstance(relation, _Preloaded):
                    self.preloaded[name] = self._load(relation, _named(data, name))
        return super().to_internal_value(data)

    @staticmethod
    def _load(field: _Preloaded, values: set[str]) -> dict:
        values = sorted(filter(_loadable, values))
        loaded = {}
        for start in range(0, len(values), _LOOKUP_CHUNK):
            chunk = values[start : start + _LOOKUP_CHUNK]
            rows = field.get_queryset().filter(**{f"{field.slug_field}__in": chunk})
            loaded.update((getattr(row, field.slug_field), row) for row in rows)
        return loaded


class ImportSystemSerializer(_KnownFieldsOnly, serializers.Serializer):
    name = _system_name(help_text="Unknown names become new systems.")
    role = serializers.ChoiceField(
        choices=IncidentSystem.Role.choices, default=IncidentSystem.Role.IMPACTED
    )


class ImportSurpriseSerializer(_KnownFieldsOnly, serializers.Serializer):
    expected = _Text()
    observed = _Text()
    noticed_at = serializers.DateTimeField(required=False, allow_null=True)
    noticed_by = _Text(max_length=200, required=False, allow_blank=True)
    notes = _Text(required=False, allow_blank=True)
    system = _system_name(required=False, allow_blank=True)


class ImportDifficultySerializer(_KnownFieldsOnly, serializers.Serializer):
    category = serializers.ChoiceField(choices=Difficulty.Category.choices)
    description = _Text()
    source = serializers.ChoiceField(
        choices=Difficulty.Source.choices, default=Difficulty.Source.DEBRIEF
    )
    minutes_lost = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    system = _system_name(required=False, allow_blank=True)


class ImportOwnershipGapSerializer(_KnownFieldsOnly, serializers.Serializer):
    kind = serializers.ChoiceField(choices=OwnershipGap.Kind.choices)
    description = _Text(required=False, allow_blank=True)
    minutes_to_find_owner = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    system = _system_name(required=False, allow_blank=True)


class ImportRowSerializer(_KnownFieldsOnly, ModelCleanMixin, serializers.ModelSerializer):
    """One incident of an import, with its systems (by name) and signals."""

    systems = ImportSystemSerializer(many=True, required=False)
    teams = _Preloaded(
        preload="teams", slug_field="slug", queryset=Team.objects.all(), many=True, required=False
    )
    lead = _Preloaded(
        preload="lead",
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        required=False,
    )
    surprises = ImportSurpriseSerializer(many=True, required=False)
    difficulties = ImportDifficultySerializer(many=True, required=False)
    ownership_gaps = ImportOwnershipGapSerializer(many=True, required=False)

    class Meta:
        model = Incident
        fields = [
            "title",
            "summary",
            "severity",
            "status",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "customer_impact",
            "is_private",
            "source",
            "external_id",
            "lead",
            "teams",
            "systems",
            "surprises",
            "difficulties",
            "ownership_gaps",
        ]
        extra_kwargs = {"source": {"default": Incident.Source.IMPORT}}
        validators: list = []
        list_serializer_class = ImportRowListSerializer

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: _Text,
        models.TextField: _Text,
    }


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.ListField(
        child=serializers.CharField(),
        help_text="References of the incidents created; in a dry run, which draws none, the "
        "rows that would be (`row 3`).",
    )
    skipped = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rows whose (source, external_id) already exists: {row, reference}; the "
        "reference is null when that incident is private and hidden from you.",
    )
    systems_created = serializers.ListField(
        child=serializers.CharField(), help_text="Systems named but unknown: created without owner."
    )
    errors = serializers.ListField(child=serializers.DictField())


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text='Per row: [{"row": 3, "field": "severity", "message": ...}]',
    )
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="When the request as a whole is wrong (not a list, a bad `dry_run`).",
    )
