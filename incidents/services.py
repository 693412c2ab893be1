"""Writes that touch several rows of the incidents app: logging and editing an incident with
its systems, teams and responders (also idempotently, for integrations), reporting and editing
a near miss, and the all-or-nothing import.

The pages and the API both write through these, so a write's rules hold whichever of them
makes it: an anonymous near miss stores no reporter, whoever logs a private incident can still
see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
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

# --- incidents -------------------------------------------------------------------------------


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


# --- near misses -----------------------------------------------------------------------------


def near_miss_report(*, reporter, anonymous: bool, data: dict[str, Any]) -> NearMiss:
    """Record a near miss and its systems together, or nothing.

    An anonymous report stores no reporter at all (not a hidden flag): nothing can leak later."""
    fields = dict(data)
    systems = fields.pop("systems", None) or []
    fields.pop("anonymous", None)
    with transaction.atomic():
        near_miss = NearMiss.objects.create(**fields, reported_by=None if anonymous else reporter)
        near_miss.systems.set(systems)
    return near_miss


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

    Each row is an incident's fields with its `systems` (by name, with a role) and its
    `surprises`, `difficulties` and `ownership_gaps` (each naming its system, if any). An
    incident whose (source, external_id) exists is skipped (imports are re-run), not
    duplicated. A dry run does all the work and rolls back, so it reports exactly what a real
    run would do. The rows are records kept elsewhere: they are saved as they are
    (`incident_save`, not `incident_create`), so the importer becomes nobody's lead.
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
