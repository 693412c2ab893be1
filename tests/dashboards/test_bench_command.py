"""The benchmark command: it refuses real data, and runs end to end on a tiny size.

Timings are printed, never asserted: the benchmark is not a test.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Incident, Surprise
from tests.factories import TeamFactory


@pytest.mark.django_db
def test_refuses_a_database_holding_non_benchmark_data():
    TeamFactory(name="Payments")
    with pytest.raises(CommandError, match="non-benchmark data"):
        call_command("bench_dashboard", incidents=100, stdout=StringIO())
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_generates_the_data_and_reports_every_page_against_raw_sql():
    out = StringIO()
    call_command("bench_dashboard", incidents=150, stdout=out)
    report = out.getvalue()
    assert Incident.objects.count() == 150
    assert Surprise.objects.filter(incident__isnull=False).count() >= 150  # 1 to 5 each
    for page in ("/dashboard/", "/dashboard/systems/", "/dashboard/themes/"):
        row = next(line for line in report.splitlines() if line.startswith(f"| {page} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[3].isdigit()
        assert int(cells[3]) > 0
        assert float(cells[5]) > 0  # page / the same page counted live
        assert float(cells[7]) > 0  # page / raw SQL


@pytest.mark.django_db
def test_times_the_list_pages_first_and_filtered_when_asked():
    out = StringIO()
    call_command(
        "bench_dashboard", incidents=150, runs=1, pages="queue,api_deployments", stdout=out
    )
    report = out.getvalue()
    rows = [line for line in report.splitlines() if line.startswith("| /")]
    pages = [row.strip("|").split("|")[0].strip() for row in rows]
    assert pages == [
        "/reviews/",
        "/reviews/?severity=SEV2",
        "/api/v1/deployments/",
        "/api/v1/deployments/?severity=SEV2",
    ]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert int(cells[3]) > 0  # queries
        assert float(cells[4]) > 0  # the same page counted live, beside it
        assert cells[6] == "n/a"  # no raw SQL to compare with
