"""Serializers for the /api/v1/ resources.

Related records are named the way people name them: incidents by reference (INC-0042), teams,
systems and themes by slug, people by username. Fields that point at an incident only accept
incidents the requesting user may see, so a private incident cannot be probed through them.
An anonymous near miss never carries its reporter: `reporter` is null and nothing else names them.
"""

from __future__ import annotations

import copy

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
    Theme,
    TimelineEntry,
)
from incidents.services import (
    incident_create,
    incident_save,
    near_miss_report,
    near_miss_update,
)
from reviews.models import ActionItem, Participant, Review, SurveyResponse
from reviews.sections import TEXT_SECTIONS

User = get_user_model()


class SlugField(serializers.SlugRelatedField):
    """A related object by slug; a NUL character is refused before PostgreSQL sees it."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value="(contains NUL)")
        return super().to_internal_value(data)


def _user_field(**kwargs) -> serializers.SlugRelatedField:
    return SlugField(slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs)


def _slug_field(model, **kwargs) -> serializers.SlugRelatedField:
    return SlugField(slug_field="slug", queryset=model.objects.all(), **kwargs)


def _request_user(serializer):
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


# --- catalog ---------------------------------------------------------------------------------


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "contact"]


class _SluggedSerializer(serializers.ModelSerializer):
    """A slug defaults to the slugified name (as the model's save() does); either way it must
    be new and not empty, checked here so a clash is a 400 and not a database error."""

    slug = serializers.SlugField(max_length=100, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        name = attrs.get("name", getattr(self.instance, "name", ""))
        slug = attrs.get("slug") or (
            self.instance.slug if self.instance is not None else slugify(name)[:100]
        )
        field = "slug" if attrs.get("slug") else "name"
        if not slug:
            raise serializers.ValidationError({field: ["Use at least one letter or digit."]})
        others = self.Meta.model.objects.filter(slug=slug)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError({field: [f"The slug {slug!r} is already taken."]})
        attrs["slug"] = slug
        return attrs


class SystemSerializer(_SluggedSerializer):
    owner_team = _slug_field(Team, allow_null=True, required=False)
    has_owner = serializers.BooleanField(read_only=True)

    class Meta:
        model = System
        fields = ["id", "name", "slug", "description", "owner_team", "has_owner", "tier"]


class ThemeSerializer(_SluggedSerializer):
    class Meta:
        model = Theme
        fields = ["id", "name", "slug", "description"]


# --- signals and timeline --------------------------------------------------------------------


class IncidentReferenceField(SlugField):
    """An incident by reference, limited to the incidents the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="reference", queryset=Incident.objects.all(), **kwargs)

    def get_queryset(self):
        user = _request_user(self)
        return Incident.objects.visible_to(user) if user is not None else Incident.objects.none()


class VisibleReviewField(serializers.PrimaryKeyRelatedField):
    """A review by id, limited to reviews of incidents the requesting user may see: a hidden
    one is answered like a missing one."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Review.objects.all(), **kwargs)

    def get_queryset(self):
        user = _request_user(self)
        if user is None:
            return Review.objects.none()
        return Review.objects.filter(incident__in=Incident.objects.visible_to(user))


class _SubjectSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A surprise, difficulty or ownership gap: attached to one incident or one near miss."""

    incident = IncidentReferenceField(allow_null=True, required=False)
    near_miss = serializers.PrimaryKeyRelatedField(
        queryset=NearMiss.objects.all(), allow_null=True, required=False
    )
    system = _slug_field(System, allow_null=True, required=False)

    SUBJECT_FIELDS = ["id", "incident", "near_miss", "system"]

    def validate(self, attrs):
        incident = attrs.get("incident", getattr(self.instance, "incident", None))
        near_miss = attrs.get("near_miss", getattr(self.instance, "near_miss", None))
        if self.instance is not None:
            moved = ("incident" in attrs and attrs["incident"] != self.instance.incident) or (
                "near_miss" in attrs and attrs["near_miss"] != self.instance.near_miss
            )
            if moved:
                raise serializers.ValidationError(
                    {"incident": ["A signal stays with the incident or near miss it was found in."]}
                )
        if (incident is None) == (near_miss is None):
            raise serializers.ValidationError(
                {"incident": ["Attach this to exactly one incident or one near miss."]}
            )
        return super().validate(attrs)


class SurpriseSerializer(_SubjectSerializer):
    themes = _slug_field(Theme, many=True, required=False)

    class Meta:
        model = Surprise
        fields = [
            *_SubjectSerializer.SUBJECT_FIELDS,
            "expected",
            "observed",
            "noticed_at",
            "noticed_by",
            "notes",
            "themes",
            "created_at",
            "updated_at",
        ]


class DifficultySerializer(_SubjectSerializer):
    themes = _slug_field(Theme, many=True, required=False)

    class Meta:
        model = Difficulty
        fields = [
            *_SubjectSerializer.SUBJECT_FIELDS,
            "category",
            "description",
            "source",
            "minutes_lost",
            "themes",
            "created_at",
            "updated_at",
        ]


class OwnershipGapSerializer(_SubjectSerializer):
    resolved_by_team = _slug_field(Team, allow_null=True, required=False)

    class Meta:
        model = OwnershipGap
        fields = [
            *_SubjectSerializer.SUBJECT_FIELDS,
            "kind",
            "description",
            "minutes_to_find_owner",
            "resolved",
            "resolved_by_team",
            "created_at",
            "updated_at",
        ]


class TimelineEntrySerializer(ModelCleanMixin, serializers.ModelSerializer):
    incident = IncidentReferenceField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "incident", "at", "kind", "text", "evidence_url", "author", "created_at"]

    def validate_incident(self, value):
        if self.instance is not None and value != self.instance.incident:
            raise serializers.ValidationError("A timeline entry stays with its incident.")
        return value


# --- incidents -------------------------------------------------------------------------------


class IncidentSystemSerializer(serializers.ModelSerializer):
    system = _slug_field(System)
    name = serializers.CharField(source="system.name", read_only=True)
    owner_team = serializers.SlugRelatedField(
        source="system.owner_team", slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = IncidentSystem
        fields = ["system", "name", "owner_team", "role"]


class IncidentSerializer(ModelCleanMixin, serializers.ModelSerializer):
    systems = IncidentSystemSerializer(source="system_roles", many=True, required=False)
    teams = _slug_field(Team, many=True, required=False)
    lead = _user_field(allow_null=True, required=False)
    responders = _user_field(many=True, required=False)
    review_status = serializers.SerializerMethodField()
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "web_url",
            "title",
            "summary",
            "severity",
            "status",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "systems",
            "teams",
            "lead",
            "responders",
            "customer_impact",
            "is_private",
            "source",
            "external_id",
            "review_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reference"]
        # (source, external_id) is handled by the view: a repeat returns the existing incident.
        validators: list = []

    @extend_schema_field(
        {"type": "string", "nullable": True, "enum": [*Review.Status.values, None]}
    )
    def get_review_status(self, incident) -> str | None:
        try:
            return incident.review.status
        except Review.DoesNotExist:
            return None

    def validate_systems(self, value):
        slugs = [item["system"].slug for item in value]
        repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if repeated:
            raise serializers.ValidationError(f"Each system once: {', '.join(repeated)} repeated.")
        return value

    def create(self, validated_data):
        return incident_create(data=validated_data, created_by=_request_user(self))

    def update(self, instance, validated_data):
        return incident_save(incident=instance, data=validated_data)


class IncidentSurpriseSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Surprise
        fields = ["id", "system", "expected", "observed", "noticed_at"]


class IncidentDifficultySerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Difficulty
        fields = ["id", "system", "category", "description"]


class IncidentOwnershipGapSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = OwnershipGap
        fields = ["id", "system", "kind", "description", "resolved"]


class IncidentTimelineSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "text", "evidence_url", "author"]


class IncidentDetailSerializer(IncidentSerializer):
    """One incident with what hangs off it: timeline, signals, themes and its review."""

    timeline = IncidentTimelineSerializer(many=True, read_only=True)
    surprises = IncidentSurpriseSerializer(many=True, read_only=True)
    difficulties = IncidentDifficultySerializer(many=True, read_only=True)
    ownership_gaps = IncidentOwnershipGapSerializer(many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    review = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "timeline",
            "surprises",
            "difficulties",
            "ownership_gaps",
            "themes",
            "review",
        ]


# --- near misses -----------------------------------------------------------------------------


class NearMissSerializer(ModelCleanMixin, serializers.ModelSerializer):
    systems = _slug_field(System, many=True, required=False)
    anonymous = serializers.BooleanField(
        source="is_anonymous",
        required=False,
        help_text="Report without a name. The reporter is never stored, so it cannot leak.",
    )
    reporter = serializers.SerializerMethodField()

    class Meta:
        model = NearMiss
        fields = [
            "id",
            "title",
            "description",
            "occurred_at",
            "detected_at",
            "systems",
            "detection_method",
            "detected_by",
            "stopped_by",
            "worst_credible_outcome",
            "potential_severity",
            "contributing_factors",
            "narrative",
            "anonymous",
            "reporter",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_reporter(self, near_miss) -> str | None:
        """The reporter's username; null for an anonymous report."""
        if near_miss.is_anonymous:
            return None
        return near_miss.reported_by.get_username()

    def validate_anonymous(self, value):
        if self.instance is not None and self.instance.is_anonymous and not value:
            raise serializers.ValidationError(
                "An anonymous report stays anonymous: nobody knows who sent it."
            )
        return value

    def create(self, validated_data):
        data = dict(validated_data)
        anonymous = data.pop("is_anonymous", False)
        return near_miss_report(reporter=_request_user(self), anonymous=anonymous, data=data)

    def update(self, instance, validated_data):
        return near_miss_update(near_miss=instance, data=validated_data)


# --- reviews ---------------------------------------------------------------------------------


class _IncidentThemesField(serializers.ManyRelatedField):
    """A review's themes are its incident's (the codebook tags incidents)."""

    def get_attribute(self, instance):
        return instance.incident.themes.all()


class ReviewSerializer(serializers.ModelSerializer):
    incident = IncidentReferenceField()
    facilitator = _user_field(allow_null=True, required=False)
    themes = _IncidentThemesField(
        child_relation=serializers.SlugRelatedField(
            slug_field="slug", queryset=Theme.objects.all()
        ),
        required=False,
        help_text="Slugs of the codebook themes the incident is tagged with.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            "The version you loaded. Send it with changed text sections: if someone changed a "
            "section since, the answer is 409 with the current text instead of overwriting it."
        ),
    )
    status = serializers.ChoiceField(
        choices=[choice for choice in Review.Status.choices if choice[0] != "published"],
        required=False,
        help_text="Publish with POST /api/v1/reviews/{id}/publish/.",
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "incident",
            "facilitator",
            "status",
            "scheduled_for",
            "published_at",
            *TEXT_SECTIONS,
            "themes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["published_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["status"] = instance.status  # "published" too, which is not writable here
        return data

    def validate_incident(self, value):
        if self.instance is not None and value != self.instance.incident:
            raise serializers.ValidationError("A review stays with its incident.")
        if self.instance is None and Review.objects.filter(incident=value).exists():
            raise serializers.ValidationError("This incident already has a review.")
        return value


class ReviewOutputSerializer(ReviewSerializer):
    status = serializers.ChoiceField(choices=Review.Status.choices, read_only=True)


class ReviewConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    section = serializers.CharField()
    current_text = serializers.CharField(help_text="What is stored now.")
    changed_by = serializers.CharField()
    version = serializers.IntegerField(help_text="The current version: send it with the merge.")


class ActionItemSerializer(serializers.ModelSerializer):
    review = VisibleReviewField()
    incident = serializers.CharField(source="review.incident.reference", read_only=True)
    owner_team = _slug_field(Team, allow_null=True, required=False)
    assignee = _user_field(allow_null=True, required=False)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "review",
            "incident",
            "title",
            "description",
            "owner_team",
            "assignee",
            "due_date",
            "status",
            "kind",
            "external_url",
            "completed_at",
            "is_overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at"]

    def validate_review(self, value):
        if self.instance is not None and value != self.instance.review:
            raise serializers.ValidationError("A follow-up stays with its review.")
        return value


# --- auth ------------------------------------------------------------------------------------


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, write_only=True)
    ttl_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        help_text="Days until the token expires (default: REST_KNOX TOKEN_TTL).",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once.")
    expiry = serializers.DateTimeField(allow_null=True)
    username = serializers.CharField()


# --- import ----------------------------------------------------------------------------------


class ImportSystemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Unknown names become new systems.")
    role = serializers.ChoiceField(
        choices=IncidentSystem.Role.choices, default=IncidentSystem.Role.IMPACTED
    )


class ImportSurpriseSerializer(serializers.Serializer):
    expected = serializers.CharField()
    observed = serializers.CharField()
    noticed_at = serializers.DateTimeField(required=False, allow_null=True)
    noticed_by = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    system = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImportDifficultySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Difficulty.Category.choices)
    description = serializers.CharField()
    source = serializers.ChoiceField(
        choices=Difficulty.Source.choices, default=Difficulty.Source.DEBRIEF
    )
    minutes_lost = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    system = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImportOwnershipGapSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OwnershipGap.Kind.choices)
    description = serializers.CharField(required=False, allow_blank=True)
    minutes_to_find_owner = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    system = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImportRowSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """One incident of an import, with its systems (by name) and signals."""

    systems = ImportSystemSerializer(many=True, required=False)
    teams = _slug_field(Team, many=True, required=False)
    lead = _user_field(allow_null=True, required=False)
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

    def validate_systems(self, value):
        names = [item["name"].casefold() for item in value]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Each system once per incident.")
        return value


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.ListField(
        child=serializers.CharField(), help_text="References of the incidents created."
    )
    skipped = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rows whose (source, external_id) already exists: {row, reference}.",
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


# --- review report ---------------------------------------------------------------------------


class ReportActionItemSerializer(serializers.ModelSerializer):
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "description",
            "owner_team",
            "assignee",
            "due_date",
            "status",
            "kind",
            "external_url",
        ]


class ReviewReportSerializer(serializers.ModelSerializer):
    """A published review as one document: the review, its incident and its follow-ups."""

    incident = IncidentDetailSerializer(read_only=True)
    facilitator = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    action_items = ReportActionItemSerializer(many=True, read_only=True)
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "status",
            "published_at",
            "facilitator",
            *TEXT_SECTIONS,
            "participants",
            "incident",
            "action_items",
        ]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "role": {"type": "string"},
                    "interviewed": {"type": "boolean"},
                },
            },
        }
    )
    def get_participants(self, review):
        return [
            {
                "name": participant.display_name,
                "role": participant.role,
                "interviewed": participant.was_interviewed,
            }
            for participant in review.participants.all()
        ]


# --- participants and survey -----------------------------------------------------------------


class ParticipantSerializer(serializers.ModelSerializer):
    review = VisibleReviewField()
    user = _user_field(allow_null=True, required=False)
    team = _slug_field(Team, allow_null=True, required=False)
    was_interviewed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Participant
        fields = [
            "id",
            "review",
            "user",
            "name",
            "role",
            "team",
            "interviewed_at",
            "interview_notes",
            "was_interviewed",
        ]

    def validate_review(self, value):
        if self.instance is not None and value != self.instance.review:
            raise serializers.ValidationError("A participant stays with their review.")
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs.get("user", getattr(self.instance, "user", None))
        name = attrs.get("name", getattr(self.instance, "name", ""))
        if user is None and not name:
            raise serializers.ValidationError({"name": ["Choose a user or type a name."]})
        return attrs


class SurveyAnswerSerializer(serializers.ModelSerializer):
    respondent = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "learned_something",
            "would_attend_again",
            "still_unclear",
            "respondent",
            "submitted_at",
        ]
        read_only_fields = ["submitted_at"]
