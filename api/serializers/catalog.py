"""The service catalog (teams and systems) and the theme codebook."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import slug_field
from incidents.models import System, Team, Theme
from incidents.slugs import NO_SLUG_MESSAGE, slug_for


class _SluggedSerializer(serializers.ModelSerializer):
    """A slug defaults to the name's (`slug_for`, as the model's save() does, for a name in any
    script); either way it must be new and not empty, checked here so a clash is a 400 and not
    a database error."""

    slug = serializers.SlugField(max_length=100, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        name = attrs.get("name", getattr(self.instance, "name", ""))
        slug = attrs.get("slug") or (
            self.instance.slug if self.instance is not None else slug_for(name)
        )
        field = "slug" if attrs.get("slug") else "name"
        if not slug:
            raise serializers.ValidationError({field: [NO_SLUG_MESSAGE]})
        others = self.Meta.model.objects.filter(slug=slug)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError({field: [f"The slug {slug!r} is already taken."]})
        attrs["slug"] = slug
        return attrs


class TeamSerializer(_SluggedSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "contact"]


class SystemSerializer(_SluggedSerializer):
    owner_team = slug_field(Team, allow_null=True, required=False)
    has_owner = serializers.BooleanField(read_only=True)

    class Meta:
        model = System
        fields = ["id", "name", "slug", "description", "owner_team", "has_owner", "tier"]


class ThemeSerializer(_SluggedSerializer):
    class Meta:
        model = Theme
        fields = ["id", "name", "slug", "description"]
