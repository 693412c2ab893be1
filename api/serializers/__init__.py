"""Serializers for the /api/v1/ resources, one module per resource.

Public (re-exported here): the serializers the views, the schema declarations and `api.auth`
name. The parts they nest (an incident's systems and signals, an import row's, a report's
follow-ups), the shared fields (`common`) and the base classes stay in their modules. OpenAPI
component names come from the class names, so those do not change.

Related records are named the way people name them: incidents by reference (INC-0042), teams,
systems and themes by slug, people by username. Fields that point at an incident only accept
incidents the requesting user may see, so a private incident cannot be probed through them.
An anonymous near miss never carries its reporter: `reporter` is null and nothing else names them.
"""

from api.serializers.auth import LoginSerializer, TokenSerializer
from api.serializers.catalog import SystemSerializer, TeamSerializer, ThemeSerializer
from api.serializers.deployments import (
    DeploymentBulkResultSerializer,
    DeploymentImportResultSerializer,
    DeploymentReceiptSerializer,
    DeploymentSerializer,
    DeploymentWebhookResultSerializer,
    GitHubWebhookResultSerializer,
    WebhookDeploymentSerializer,
)
from api.serializers.imports import (
    ImportErrorSerializer,
    ImportResultSerializer,
    ImportRowSerializer,
)
from api.serializers.incidents import IncidentDetailSerializer, IncidentSerializer
from api.serializers.near_misses import NearMissSerializer
from api.serializers.review_parts import ActionItemSerializer, ParticipantSerializer
from api.serializers.reviews import (
    ReviewConflictSerializer,
    ReviewOutputSerializer,
    ReviewReportSerializer,
    ReviewSerializer,
    SurveyAnswerSerializer,
)
from api.serializers.signals import (
    DifficultySerializer,
    OwnershipGapSerializer,
    SurpriseSerializer,
    TimelineEntrySerializer,
)

__all__ = [
    "ActionItemSerializer",
    "DeploymentBulkResultSerializer",
    "DeploymentImportResultSerializer",
    "DeploymentReceiptSerializer",
    "DeploymentSerializer",
    "DeploymentWebhookResultSerializer",
    "DifficultySerializer",
    "GitHubWebhookResultSerializer",
    "ImportErrorSerializer",
    "ImportResultSerializer",
    "ImportRowSerializer",
    "IncidentDetailSerializer",
    "IncidentSerializer",
    "LoginSerializer",
    "NearMissSerializer",
    "OwnershipGapSerializer",
    "ParticipantSerializer",
    "ReviewConflictSerializer",
    "ReviewOutputSerializer",
    "ReviewReportSerializer",
    "ReviewSerializer",
    "SurpriseSerializer",
    "SurveyAnswerSerializer",
    "SystemSerializer",
    "TeamSerializer",
    "ThemeSerializer",
    "TimelineEntrySerializer",
    "TokenSerializer",
    "WebhookDeploymentSerializer",
]
