"""A PagerDuty v3 webhook event applied to the incidents.

A PagerDuty incident is one incident here (source pagerduty, external id the PagerDuty
incident's id): `incident.triggered` opens it (detected when PagerDuty created it),
`incident.resolved` mitigates it at the moment it resolved, `incident.reopened` opens it
again, `incident.acknowledged` is a moment on its timeline, `incident.priority_updated` sets
its severity through the integration's mapping. Other event types are acknowledged and ignored.

Each event is applied once, by its id: PagerDuty redelivers until it gets a 2xx, and a
redelivery changes nothing. Events may arrive out of order, so the status and the severity
come from the latest event by `occurred_at`, never from the last to arrive: a late
`triggered` after `resolved` leaves the incident mitigated. Any event opens the incident if
it is not there yet (an `acknowledged` may come first). An incident resolved or closed by hand
keeps its status; one a published review froze is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from incidents.models import Incident, IncidentSystem, TimelineEntry
from incidents.services import incident_create_or_get, incident_save
from integrations.models import Delivery, Integration, PagerDutyEvent
from integrations.services.common import Applied, frozen_incident_ids, system_named

TRIGGERED = "incident.triggered"
ACKNOWLEDGED = "incident.acknowledged"
RESOLVED = "incident.resolved"
REOPENED = "incident.reopened"
PRIORITY_UPDATED = "incident.priority_updated"
HANDLED = (TRIGGERED, ACKNOWLEDGED, RESOLVED, REOPENED, PRIORITY_UPDATED)
_STATUS_EVENTS = (TRIGGERED, REOPENED, RESOLVED)
_JOINABLE = (Incident.Status.INVESTIGATING, Incident.Status.MITIGATED)
_URL = URLValidator(schemes=["http", "https"])
_TIMELINE = {
    TRIGGERED: (TimelineEntry.Kind.DETECTION, "triggered"),
    ACKNOWLEDGED: (TimelineEntry.Kind.KEY_MOMENT, "acknowledged"),
    RESOLVED: (TimelineEntry.Kind.KEY_MOMENT, "resolved"),
    REOPENED: (TimelineEntry.Kind.KEY_MOMENT, "reopened"),
    PRIORITY_UPDATED: (TimelineEntry.Kind.NOTE, "priority changed"),
}


@dataclass(frozen=True)
class PagerDutyIncidentEvent:
    """An `incident.*` event of PagerDuty's v3 webhook, its `data` being the incident."""

    event_id: str
    event_type: str
    occurred_at: datetime
    agent: str  # who did it ("" for PagerDuty itself)
    incident_id: str
    title: str
    created_at: datetime
    html_url: str
    service: str  # the service's name: the system
    priority: str | None  # "P1"... when the account uses priorities
    urgency: str | None  # "high" or "low"

    @property
    def severity_key(self) -> str:
        """What the severity mapping is asked: the priority, else the urgency."""
        return self.priority or self.urgency or ""


def pagerduty_event_apply(*, integration: Integration, event: PagerDutyIncidentEvent) -> Applied:
    if event.event_type not in HANDLED:
        return Applied(outcome=Delivery.Outcome.IGNORED)
    applied = Applied()
    with transaction.atomic():
        seen = (
            PagerDutyEvent.objects.filter(integration=integration, event_id=event.event_id)
            .select_related("incident")
            .first()
        )
        if seen is not None:
            applied.incidents.append(seen.incident)
            return applied
        incident, created = _incident(integration, event)
        try:
            with transaction.atomic():
                PagerDutyEvent.objects.create(
                    integration=integration,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    occurred_at=event.occurred_at,
                    incident=incident,
                    value=event.severity_key[:100],
                )
        except IntegrityError:  # the same event, delivered twice at once: the other applied it
            applied.incidents.append(incident)
            return applied
        if incident.pk in frozen_incident_ids([incident.pk]):
            applied.incidents.append(incident)
            return applied
        _timeline_entry(incident, event)
        _refresh(integration, incident)
        applied.touched(incident, created=created)
    return applied


def _incident(integration: Integration, event: PagerDutyIncidentEvent) -> tuple[Incident, bool]:
    roles = []
    if event.service:
        roles = [{"system": system_named(event.service), "role": IncidentSystem.Role.IMPACTED}]
    incident, created = incident_create_or_get(
        data={
            "source": integration.source,
            "external_id": event.incident_id,
            "title": event.title[: Incident._meta.get_field("title").max_length],
            "severity": integration.severity_for(event.priority, event.urgency),
            "started_at": event.created_at,
            "detected_at": event.created_at,
            "system_roles": roles,
        },
        created_by=None,
    )
    # Its row locked: events of one incident apply one after the other.
    return Incident.objects.select_for_update().get(pk=incident.pk), created


def _timeline_entry(incident: Incident, event: PagerDutyIncidentEvent) -> None:
    kind, verb = _TIMELINE[event.event_type]
    text = f"PagerDuty: {verb}"
    if event.event_type == PRIORITY_UPDATED:
        text += f" to {event.priority or 'none'}"
    if event.agent:
        text += f" by {event.agent}"
    url = event.html_url
    try:
        _URL(url)
        if len(url) > TimelineEntry._meta.get_field("evidence_url").max_length:
            raise ValidationError("too long")
    except ValidationError:
        url = ""
    TimelineEntry.objects.create(
        incident=incident,
        at=max(event.occurred_at, incident.started_at),
        kind=kind,
        text=text,
        evidence_url=url,
    )


def _refresh(integration: Integration, incident: Incident) -> None:
    """Status and severity from the latest event (by occurred_at) that says them."""
    events = PagerDutyEvent.objects.filter(incident=incident).order_by("-occurred_at", "-pk")
    data = {}
    latest = events.first()
    if latest is not None:
        data["severity"] = integration.severity_for(latest.value or None)
    status_event = events.filter(event_type__in=_STATUS_EVENTS).first()
    if status_event is not None and incident.status in _JOINABLE:
        if status_event.event_type == RESOLVED:
            data.update(
                status=Incident.Status.MITIGATED,
                mitigated_at=max(
                    status_event.occurred_at, incident.detected_at or incident.started_at
                ),
            )
        else:
            data.update(status=Incident.Status.INVESTIGATING, mitigated_at=None)
    changed = {name: value for name, value in data.items() if getattr(incident, name) != value}
    if changed:
        incident_save(incident=incident, data=changed)
