"""The import benchmark command: PostgreSQL only, and end to end on a tiny size.

Timings are printed, never asserted: the benchmark is not a test.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.models import Incident
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is for other databases")
def test_refuses_a_database_that_is_not_postgresql():
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_import", rows=10, repeat=1, stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="it compares with COPY")
def test_refuses_a_database_holding_non_benchmark_data():
    TeamFactory(name="Payments")
    with pytest.raises(CommandError, match="non-benchmark data"):
        call_command("bench_import", rows=10, repeat=1, stdout=StringIO())


# Committed, as when the command runs (it TRUNCATEs between runs, which PostgreSQL refuses
# while the test's transaction holds deferred foreign-key checks); serialized_rollback: see
# tests/incidents/test_models.py.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="it compares with COPY")
def test_reports_the_import_against_copy_and_leaves_no_incident():
    out = StringIO()
    call_command("bench_import", rows=60, repeat=1, stdout=out)
    report = out.getvalue()
    assert "sequence values the dry run used: 0" in report
    assert "references of the import consecutive: yes" in report
    for name in ("COPY (baseline)", "import", "dry run"):
        assert any(line.startswith(f"| {name} |") for line in report.splitlines()), name
    assert not Incident.objects.exists()
