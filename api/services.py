"""Writes behind the API that touch several rows: saving an incident or a near miss with its
systems, idempotent creation for integrations, and the all-or-nothing import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
)

MAX_IMPORT_ROWS = 5000


@transaction.atomic
def incident_save(*, incident: Incident, data: dict[str, Any]) -> Incident:
    """Save an incident's fields and, when given, replace its systems, teams and responders."""
    data = dict(data)
    system_roles = data.pop("system_roles", None)
    teams = data.pop("teams", None)
    responders = data.pop("responders", None)
    for name, value in data.items():
        setattr(incident, name, value)
    incident.save()
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


@transaction.atomic
def near_miss_update(*, near_miss: NearMiss, data: dict[str, Any]) -> NearMiss:
    """Save a near miss's fields and, when given, replace its systems. Made anonymous, the
    reporter is removed for good (an anonymous report never names anyone)."""
    data = dict(data)
    if data.pop("is_anonymous", False):
        near_miss.reported_by = None
    systems = data.pop("systems", None)
    for name, value in data.items():
        setattr(near_miss, name, value)
    near_miss.save()
    if systems is not None:
        near_miss.systems.set(systems)
    return near_miss


def _existing(source: str, external_id: str) -> Incident | None:
    if not external_id:
        return None
    return Incident.objects.filter(source=source, external_id=external_id).first()


def incident_create_or_get(*, data: dict[str, Any]) -> tuple[Incident, bool]:
    """Create an incident, or return the one already holding (source, external_id).

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
            return incident_save(incident=Incident(), data=data), True
    except IntegrityError:
        existing = _existing(source, external_id)
        if existing is None:
            raise
        return existing, False


# --- import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    dry_run: bool
    created: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    systems_created: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class _DryRunRollback(Exception):
    pass


def _find_or_create_system(name: str, created: list[str]) -> System:
    system = System.objects.filter(name__iexact=name).first()
    system = system or System.objects.filter(slug=slugify(name)[:100]).first()
    if system is None:
        # Named in an import but not in the catalog: created without an owner, which is an
        # ownership gap the systems dashboard then shows.
        system = System.objects.create(name=name, owner_team=None)
        created.append(system.name)
    return system


def incidents_import(*, rows: list[dict[str, Any]], dry_run: bool) -> ImportResult:
    """Create every incident of an already validated import, or none.

    `rows` come from `ImportRowSerializer`; an incident whose (source, external_id) exists is
    skipped (imports are re-run), not duplicated. A dry run does all the work and rolls back,
    so it reports exactly what a real run would do.
    """
    result = ImportResult(dry_run=dry_run)
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=1):
                row = dict(row)
                existing = _existing(row["source"], row.get("external_id", ""))
                if existing is not None:
                    result.skipped.append({"row": number, "reference": existing.reference})
                    continue
                systems = row.pop("systems", [])
                surprises = row.pop("surprises", [])
                difficulties = row.pop("difficulties", [])
                ownership_gaps = row.pop("ownership_gaps", [])
                row["system_roles"] = [
                    {
                        "system": _find_or_create_system(item["name"], result.systems_created),
                        "role": item["role"],
                    }
                    for item in systems
                ]
                incident = incident_save(incident=Incident(), data=row)
                for model, items in (
                    (Surprise, surprises),
                    (Difficulty, difficulties),
                    (OwnershipGap, ownership_gaps),
                ):
                    for item in items:
                        item = dict(item)
                        system_name = item.pop("system", None)
                        system = (
                            _find_or_create_system(system_name, result.systems_created)
                            if system_name
                            else None
                        )
                        model.objects.create(incident=incident, system=system, **item)
                result.created.append(incident.reference)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return result
