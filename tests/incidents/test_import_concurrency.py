"""Imports running at the same time (PostgreSQL): ids are drawn from the sequence, so two
imports never share a reference, and the same rows imported twice at once are created once,
the later import skipping them instead of failing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from incidents.models import Incident, System
from incidents.services import incidents_import

STARTED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

pytestmark = [
    # serialized_rollback: see tests/incidents/test_models.py (content types after a flush).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def _rows(prefix: str, count: int) -> list[dict]:
    return [
        {
            "title": f"{prefix} {number}",
            "started_at": STARTED,
            "source": Incident.Source.IMPORT,
            "external_id": f"{prefix}-{number}",
            "systems": [{"name": "queue", "role": "impacted"}],
        }
        for number in range(count)
    ]


def _at_once(*imports: list[dict]) -> tuple[list, list[Exception]]:
    results, errors = [], []
    barrier = threading.Barrier(len(imports))

    def run(rows):
        try:
            barrier.wait()
            results.append(incidents_import(rows=rows, dry_run=False))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(rows,)) for rows in imports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_imports_at_the_same_time_never_share_a_reference():
    results, errors = _at_once(*(_rows(f"batch{n}", 300) for n in range(4)))
    assert errors == []
    references = [reference for result in results for reference in result.created]
    assert len(references) == len(set(references)) == 1200
    assert Incident.objects.count() == 1200
    assert System.objects.filter(name="queue").count() == 1


@pytest.mark.parametrize("new_system", [True, False])
def test_the_same_rows_imported_twice_at_once_are_created_once(new_system):
    if not new_system:  # the clash is then on the incidents, not on the new system
        System.objects.create(name="queue")
    results, errors = _at_once(_rows("same", 200), _rows("same", 200))
    assert errors == []
    assert Incident.objects.count() == 200
    created = sorted(len(result.created) for result in results)
    skipped = sorted(len(result.skipped) for result in results)
    assert (created, skipped) == ([0, 200], [0, 200])
