"""The incident record: the catalog, deployments, incidents, near misses, the signals teams
learn from (DOMAIN.md, "the five signals"), the timeline and the theme codebook."""

from incidents.models.catalog import System, SystemQuerySet, Team
from incidents.models.deployment import PRODUCTION, Deployment, DeploymentQuerySet
from incidents.models.incident import (
    Incident,
    IncidentQuerySet,
    IncidentSystem,
    Severity,
    sees_every_incident,
    visible_incident_q,
)
from incidents.models.marks import DirtyMonth
from incidents.models.near_miss import NearMiss
from incidents.models.signals import Difficulty, OwnershipGap, Signal, SignalQuerySet, Surprise
from incidents.models.themes import Theme
from incidents.models.timeline import TimelineEntry

__all__ = [
    "PRODUCTION",
    "Deployment",
    "DeploymentQuerySet",
    "Difficulty",
    "DirtyMonth",
    "Incident",
    "IncidentQuerySet",
    "IncidentSystem",
    "NearMiss",
    "OwnershipGap",
    "Severity",
    "Signal",
    "SignalQuerySet",
    "Surprise",
    "System",
    "SystemQuerySet",
    "Team",
    "Theme",
    "TimelineEntry",
    "sees_every_incident",
    "visible_incident_q",
]
