"""Logging and editing an incident with its systems, teams and responders, also idempotently
for integrations: an alert posted twice is one incident."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import Incident, IncidentSystem

# The unique constraint's own message, so the API, the admin and the import say the same.
EXTERNAL_ID_TAKEN = next(
    constraint.violation_error_message
    for constraint in Incident._meta.constraints
    if constraint.name == "incident_unique_external_id_per_source"
)


def external_id_taken(*, source: str, external_id: str, other_than: Incident | None) -> bool:
    """Whether another incident holds (source, external_id); an empty id is never taken."""
    if not external_id:
        return False
    others = Incident.objects.filter(source=source, external_id=external_id)
    if other_than is not None and other_than.pk is not None:
        others = others.exclude(pk=other_than.pk)
    return others.exists()


@transaction.atomic
def incident_save(*, incident: Incident, data: dict[str, Any]) -> Incident:
    """Save an incident's fields and, when given, replace its systems, teams and responders.

    An edit that takes the (source, external_id) of another incident saved meanwhile (after
    the caller checked, `external_id_taken`) is a ValidationError on `external_id`. A new
    incident's clash stays an IntegrityError: `incident_create_or_get` answers it with the
    incident that won."""
    data = dict(data)
    system_roles = data.pop("system_roles", None)
    teams = data.pop("teams", None)
    responders = data.pop("responders", None)
    for name, value in data.items():
        setattr(incident, name, value)
    if incident.pk is None:
        incident.save()
    else:
        try:
            with transaction.atomic():  # a savepoint: the clash must not break the transaction
                incident.save()
        except IntegrityError:
            if not external_id_taken(
                source=incident.source, external_id=incident.external_id, other_than=incident
            ):
                raise
            raise ValidationError({"external_id": [EXTERNAL_ID_TAKEN]}) from None
    if system_roles is not None:
        IncidentSystem.objects.filter(incident=incident).delete()
        IncidentSystem.objects.bulk_create(
            IncidentSystem(
                incident=incident,
                system=item["system"],
                role=item.get("role", IncidentSystem.Role.IMPACTED),
            )
            for item in system_roles
        )
    if teams is not None:
        incident.teams.set(teams)
    if responders is not None:
        incident.responders.set(responders)
    return incident


def incident_create(*, data: dict[str, Any], created_by) -> Incident:
    """Log an incident with its systems, teams and responders.

    A private incident is visible only to the people involved: whoever logs one without naming
    a lead becomes its lead, so they can still see it afterwards.
    """
    data = dict(data)
    if data.get("is_private") and data.get("lead") is None:
        data["lead"] = created_by
    return incident_save(incident=Incident(), data=data)


def _existing(source: str, external_id: str) -> Incident | None:
    if not external_id:
        return None
    return Incident.objects.filter(source=source, external_id=external_id).first()


def incident_create_or_get(*, data: dict[str, Any], created_by) -> tuple[Incident, bool]:
    """Create an incident (`incident_create`), or return the one already holding
    (source, external_id); the source defaults to the API's.

    Integrations retry: an alert posted twice must not become two incidents. Two identical posts
    racing each other both pass the first lookup; the unique constraint stops the second insert
    and it returns the winner's incident instead of failing.
    """
    data = {"source": Incident.Source.API, **data}
    source, external_id = data["source"], data.get("external_id", "")
    existing = _existing(source, external_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return incident_create(data=data, created_by=created_by), True
    except IntegrityError:
        existing = _existing(source, external_id)
        if existing is None:
            raise
        return existing, False
