"""The /api/v1/ resources: thin viewsets over the shared rules, FilterSets and services, one
module per resource.

Public (re-exported here): the viewsets `api.urls` registers, and the deployment webhooks. What they share (the base
viewset, the `format` parameter, CSV responses) is in `common`.

Who may do what comes from `reviews/rules.py` (through `api.permissions.RoleRules`); what a
user may see comes from the `visible_to` querysets, so a hidden incident is a 404. Every write
that touches several rows is a service (`incidents.services`, `reviews.services`).
"""

from api.views.catalog import SystemViewSet, TeamViewSet, ThemeViewSet
from api.views.deployments import DeploymentViewSet, DeploymentWebhook
from api.views.github import GitHubWebhook
from api.views.incidents import IncidentViewSet
from api.views.near_misses import NearMissViewSet
from api.views.review_parts import ActionItemViewSet, ParticipantViewSet
from api.views.reviews import ReviewViewSet
from api.views.signals import (
    DifficultyViewSet,
    OwnershipGapViewSet,
    SurpriseViewSet,
    TimelineEntryViewSet,
)

__all__ = [
    "ActionItemViewSet",
    "DeploymentViewSet",
    "DeploymentWebhook",
    "DifficultyViewSet",
    "GitHubWebhook",
    "IncidentViewSet",
    "NearMissViewSet",
    "OwnershipGapViewSet",
    "ParticipantViewSet",
    "ReviewViewSet",
    "SurpriseViewSet",
    "SystemViewSet",
    "TeamViewSet",
    "ThemeViewSet",
    "TimelineEntryViewSet",
]
