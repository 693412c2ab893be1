"""The all-or-nothing import of incidents with their systems and signals, in batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.bulk import insert_creation_history, insert_instances, insert_rows, new_ids
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    OwnershipGap,
    Surprise,
    System,
)
from incidents.slugs import slug_for

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
