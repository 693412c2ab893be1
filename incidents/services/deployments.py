"""Recording deployments, one or many at once, idempotently on (source, external_id): CI
systems and webhooks retry, and a deployment posted twice must count once in the rates."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from incidents.models import Deployment
from incidents.services.imports import IMPORT_BATCH_SIZE


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
