"""Writes that touch several rows of the incidents app: logging and editing an incident with
its systems, teams and responders (also idempotently, for integrations), recording deployments
(idempotently too, one or many at once), reporting and editing a near miss, and the
all-or-nothing import.

The pages and the API both write through these, so a write's rules hold whichever of them
makes it: an anonymous near miss stores no reporter, whoever logs a private incident can still
see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.bulk import insert_creation_history, insert_instances, insert_rows, new_ids
from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
)
from incidents.slugs import slug_for

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


# --- deployments -----------------------------------------------------------------------------


def _existing_deployment(source: str, external_id: str) -> Deployment | None:
    if not external_id:
        return None
    return Deployment.objects.filter(source=source, external_id=external_id).first()


def deployment_create_or_get(*, data: dict[str, Any]) -> tuple[Deployment, bool]:
    """Record a deployment, or return the one already holding (source, external_id); the
    source defaults to the API's.

    CI systems and webhooks retry: a deployment posted twice must count once in the rates.
    Two identical posts racing each other both pass the first lookup; the unique constraint
    stops the second insert, which then returns the winner's deployment.
    """
    data = {"source": Deployment.Source.API, **data}
    source, external_id = data["source"], data.get("external_id", "")
    existing = _existing_deployment(source, external_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Deployment.objects.create(**data), True
    except IntegrityError:
        existing = _existing_deployment(source, external_id)
        if existing is None:
            raise
        return existing, False


def _deployments_holding(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Deployment]:
    """The deployments holding these (source, external_id) pairs, by chunks of ids."""
    external_ids = sorted({external_id for _source, external_id in keys})
    found = {}
    for start in range(0, len(external_ids), IMPORT_BATCH_SIZE):
        chunk = external_ids[start : start + IMPORT_BATCH_SIZE]
        for deployment in Deployment.objects.filter(external_id__in=chunk).select_related(
            "system"
        ):
            key = (deployment.source, deployment.external_id)
            if key in keys:
                found[key] = deployment
    return found


@transaction.atomic
def deployments_record(
    *, rows: list[dict[str, Any]], source: str = Deployment.Source.API, dry_run: bool = False
) -> list[tuple[Deployment, bool]]:
    """Record many validated deployments at once, all or nothing: (deployment, created) per
    row, in row order. `source` is the default for rows that name none. A dry run writes
    nothing: its new deployments are unsaved.

    Idempotent like `deployment_create_or_get`: a row whose (source, external_id) is already
    recorded, or repeats an earlier row's, returns that deployment. A few queries per 1,000
    rows: the pairs already recorded are read first, the new rows inserted in batches, and
    inserts that lose a race with another writer of the same pair are skipped by the unique
    constraint (then read back), never duplicated. A pair written by a concurrent request
    between the reading and the inserting is reported as created by both.
    """
    rows = [{"source": source, **row} for row in rows]
    keys = {(row["source"], row["external_id"]) for row in rows if row.get("external_id")}
    before = _deployments_holding(keys)
    new_keyed: dict[tuple[str, str], Deployment] = {}
    plain: list[Deployment] = []
    planned: list[tuple[tuple[str, str] | None, Deployment | None]] = []
    for row in rows:
        key = (row["source"], row["external_id"]) if row.get("external_id") else None
        if key is None:
            deployment = Deployment(**row)
            plain.append(deployment)
            planned.append((None, deployment))
        else:
            if key not in before and key not in new_keyed:
                new_keyed[key] = Deployment(**row)
            planned.append((key, None))
    if dry_run:
        after = new_keyed
    else:
        # ignore_conflicts gives back no primary keys: the keyed rows are read back.
        Deployment.objects.bulk_create(
            new_keyed.values(), batch_size=IMPORT_BATCH_SIZE, ignore_conflicts=True
        )
        Deployment.objects.bulk_create(plain, batch_size=IMPORT_BATCH_SIZE)
        after = _deployments_holding(set(new_keyed)) if new_keyed else {}
    result, reported = [], set()
    for key, deployment in planned:
        if key is None:
            result.append((deployment, True))
        elif key in before:
            result.append((before[key], False))
        else:
            # The first row of a new pair created it; a repeat of the pair returns it.
            result.append((after[key], key not in reported))
            reported.add(key)
    return result


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

# Rows per batch: the import reads and writes each batch with one statement per table, so its
# number of queries grows by a constant per 1,000 rows, not per row.
IMPORT_BATCH_SIZE = 1000


@dataclass
class ImportResult:
    dry_run: bool
    created: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    systems_created: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class _SystemsNamed:
    """The systems an import names, resolved in memory against the catalog read once.

    A name is the catalog system with the same name (case aside), else the one whose slug is
    the name's slug or the name itself (a file may name systems by slug, as the export does).
    Otherwise it is a new system, created without an owner (an ownership gap the systems
    dashboard shows), and later rows that name it alike get that same new system.
    """

    def __init__(self):
        self.by_name: dict[str, System] = {}
        self.by_slug: dict[str, System] = {}
        self.new: list[System] = []
        for system in System.objects.order_by("pk").only("pk", "name", "slug"):
            self._add(system)

    def _add(self, system: System) -> None:
        self.by_name.setdefault(system.name.casefold(), system)
        self.by_slug.setdefault(system.slug.casefold(), system)

    def get(self, name: str) -> System:
        key = name.casefold()
        system = self.by_name.get(key) or self.by_slug.get(slug_for(name)) or self.by_slug.get(key)
        if system is None:
            system = System(name=name, slug=slug_for(name), owner_team=None)
            self.new.append(system)
            self._add(system)
        return system


@dataclass
class _PlannedRow:
    number: int
    fields: dict[str, Any]
    teams: list[Any]
    system_roles: list[tuple[System, str]]
    signals: list[tuple[type, dict[str, Any], System | None]]


def _existing_references(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """{(source, external_id): reference} of the rows already imported, by chunks of ids."""
    external_ids = sorted({row["external_id"] for row in rows if row.get("external_id")})
    found = {}
    for start in range(0, len(external_ids), IMPORT_BATCH_SIZE):
        chunk = external_ids[start : start + IMPORT_BATCH_SIZE]
        found.update(
            ((source, external_id), reference)
            for source, external_id, reference in Incident.objects.filter(
                external_id__in=chunk
            ).values_list("source", "external_id", "reference")
        )
    return found


_SIGNALS = ((Surprise, "surprises"), (Difficulty, "difficulties"), (OwnershipGap, "ownership_gaps"))


def _plan_row(number: int, row: dict[str, Any], systems: _SystemsNamed, result: ImportResult):
    row = dict(row)
    # By identity: a new system has no primary key yet, so it cannot be a dict key.
    roles, seen = [], {}
    for item in row.pop("systems", []):
        system = systems.get(item["name"])
        if id(system) in seen:
            result.errors.append(
                {
                    "row": number,
                    "field": "systems",
                    "message": f"{seen[id(system)]!r} and {item['name']!r} name the same system "
                    f"({system.name}): name it once.",
                }
            )
        seen.setdefault(id(system), item["name"])
        roles.append((system, item["role"]))
    signals = []
    for model, key in _SIGNALS:
        for item in row.pop(key, []):
            fields = dict(item)
            name = fields.pop("system", None)
            signals.append((model, fields, systems.get(name) if name else None))
    teams = list(dict.fromkeys(row.pop("teams", [])))  # a team named twice is linked once
    return _PlannedRow(number, row, teams, roles, signals)


def _plan(rows: list[dict[str, Any]], result: ImportResult) -> tuple[list[_PlannedRow], list]:
    """What the import will write, read with a query per batch of external ids and one for
    the catalog: rows already imported are skipped, systems resolved, a system named twice in
    a row is that row's error."""
    existing = _existing_references(rows)
    systems = _SystemsNamed()
    planned = []
    for number, row in enumerate(rows, start=1):
        reference = existing.get((row["source"], row.get("external_id", "")))
        if reference is not None:
            result.skipped.append({"row": number, "reference": reference})
            continue
        planned.append(_plan_row(number, row, systems, result))
    result.systems_created = [system.name for system in systems.new]
    return planned, systems.new


def _signal_columns(model) -> list[str]:
    """The columns of a signal that an import row may give (the others are set by _write)."""
    set_by_write = {"id", "incident", "near_miss", "system", "created_at", "updated_at"}
    return [field.name for field in model._meta.concrete_fields if field.name not in set_by_write]


def _write(planned: list[_PlannedRow], new_systems: list[System]) -> list[str]:
    """Insert the planned rows in batches, a few statements each; the references of the new
    incidents, in row order."""
    System.objects.bulk_create(new_systems)
    now = timezone.now()
    # As save() would record it: the user of the request (simple_history's middleware).
    history_user = Surprise.history.model.get_default_history_user(None)
    references = []
    for start in range(0, len(planned), IMPORT_BATCH_SIZE):
        batch = planned[start : start + IMPORT_BATCH_SIZE]
        ids = new_ids(Incident, len(batch))
        # The id is drawn first, so the reference goes in with the row (save() has to insert,
        # then update).
        incidents = [
            Incident(**row.fields, pk=pk, reference=Incident.reference_for(pk))
            for row, pk in zip(batch, ids, strict=True)
        ]
        insert_instances(Incident, incidents)
        references += [incident.reference for incident in incidents]
        insert_rows(
            IncidentSystem,
            ["incident", "system", "role"],
            (
                (pk, system.pk, role)
                for row, pk in zip(batch, ids, strict=True)
                for system, role in row.system_roles
            ),
        )
        insert_rows(
            Incident.teams.through,
            ["incident", "team"],
            ((pk, team.pk) for row, pk in zip(batch, ids, strict=True) for team in row.teams),
        )
        for model, _key in _SIGNALS:
            columns = _signal_columns(model)
            defaults = [model._meta.get_field(name).get_default() for name in columns]
            insert_rows(
                model,
                ["incident", "system", "created_at", "updated_at", *columns],
                (
                    (
                        pk,
                        getattr(system, "pk", None),
                        now,
                        now,
                        *map(fields.get, columns, defaults),
                    )
                    for row, pk in zip(batch, ids, strict=True)
                    for kind, fields, system in row.signals
                    if kind is model
                ),
            )
            insert_creation_history(model, incident_ids=ids, user=history_user, when=now)
    return references


def incidents_import(*, rows: list[dict[str, Any]], dry_run: bool) -> ImportResult:
    """Create every incident of an already validated import, or none.

    Each row is an incident's fields with its `systems` (by name, with a role) and its
    `surprises`, `difficulties` and `ownership_gaps` (each naming its system, if any). An
    incident whose (source, external_id) exists is skipped (imports are re-run), not
    duplicated. A row that names one system twice is an error, and nothing is written.

    Everything is read first, then the rows are inserted in batches, in one transaction: a few
    queries per batch of IMPORT_BATCH_SIZE rows, none per row. A dry run stops after the reading: it reports what a real run
    would do without inserting anything, so it uses up no reference number (a rolled-back
    insert still consumes its sequence value on PostgreSQL); its `created` names the rows
    (`row 3`). The rows are records kept elsewhere: saved as they are, the importer becomes
    nobody's lead (unlike `incident_create`).
    """
    result = ImportResult(dry_run=dry_run)
    planned, new_systems = _plan(rows, result)
    if result.errors:
        return result
    if dry_run:
        result.created = [f"row {row.number}" for row in planned]
        return result
    try:
        with transaction.atomic():
            result.created = _write(planned, new_systems)
    except IntegrityError:
        # Another import or an integration wrote one of these (source, external_id), or a
        # system of the same name, between the reading and the writing: read again, once;
        # those rows are then skipped and that system found.
        result = ImportResult(dry_run=dry_run)
        planned, new_systems = _plan(rows, result)
        if not result.errors:
            with transaction.atomic():
                result.created = _write(planned, new_systems)
    return result
