"""/api/v1/teams/, systems/ and themes/: the service catalog (administrators) and the theme
codebook (facilitators)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from api import serializers as s
from api.filters import SystemFilter
from api.permissions import allow
from api.views.common import FORMAT_PARAMETER, ApiViewSet
from incidents.models import System, Team, Theme
from reviews import rules


class CatalogRules:
    def may_create(self, user):
        return allow(rules.can_edit_catalog(user), "Only administrators edit the catalog.")

    def may_change(self, user, obj):
        return self.may_create(user)


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class TeamViewSet(CatalogRules, ApiViewSet):
    queryset = Team.objects.all()
    serializer_class = s.TeamSerializer
    lookup_field = "slug"
    filterset_class = None
    ordering_fields = ["name", "slug"]
    ordering = ["name"]
    csv_name = "teams"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class SystemViewSet(CatalogRules, ApiViewSet):
    queryset = System.objects.select_related("owner_team")
    serializer_class = s.SystemSerializer
    lookup_field = "slug"
    filterset_class = SystemFilter
    ordering_fields = ["name", "slug", "tier"]
    ordering = ["name"]
    csv_name = "systems"


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ThemeViewSet(ApiViewSet):
    queryset = Theme.objects.all()
    serializer_class = s.ThemeSerializer
    lookup_field = "slug"
    filterset_class = None
    ordering_fields = ["name", "slug"]
    ordering = ["name"]
    csv_name = "themes"

    def may_create(self, user):
        return allow(rules.is_facilitator(user), "Only facilitators edit the theme codebook.")

    def may_change(self, user, obj):
        return self.may_create(user)
