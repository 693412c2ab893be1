"""/api/v1/reports/: the dashboards as data, from the same selectors, in JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from api.reports import as_data
from tests.api.conftest import client_for
from tests.factories import IncidentFactory

PARAMETERS = ["", "?period=month", "?period=custom&start=2025-01-01&end=2026-12-01&severity=SEV2"]


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


@pytest.mark.parametrize("query", PARAMETERS)
def test_the_overview_page_and_the_summary_report_agree_on_the_demo_data(demo, superuser, query):
    client = client_for(superuser)
    page = client.get(f"/dashboard/{query}")
    api = client.get(f"/api/v1/reports/summary/{query}").json()
    assert page.status_code == 200
    summary = page.context["summary"]
    assert api["summary"] == as_data(summary)
    assert not summary.is_empty  # the demo data has something to compare in every period
    assert api["period"]["start"] == summary.period.start_date.isoformat()
    # The numbers people read on the cards, one by one.
    for name in ("incidents", "near_misses", "surprises", "difficulties", "ownership_gaps"):
        counts = getattr(summary, name)
        assert api["summary"][name]["current"] == counts.current
        assert api["summary"][name]["previous"] == counts.previous
        assert api["summary"][name]["verdict"] == counts.verdict
    loop = client.get(f"/api/v1/reports/learning-loop/{query}").json()["learning_loop"]
    assert loop == as_data(page.context["loop"])


def test_the_systems_page_and_report_agree_on_the_demo_data(demo, superuser):
    client = client_for(superuser)
    page_rows = client.get("/dashboard/systems/").context["rows"]
    api_rows = client.get("/api/v1/reports/systems/").json()["rows"]
    by_slug = {row["slug"]: row for row in api_rows}
    assert len(api_rows) == len(page_rows) > 0
    for row in page_rows:
        assert by_slug[row.slug] == as_data(row)
        assert by_slug[row.slug]["failure_rate"]["estimate"] == row.failure_rate.estimate


def test_the_themes_page_and_report_agree_on_the_demo_data(demo, superuser):
    client = client_for(superuser)
    page_rows = client.get("/dashboard/themes/").context["rows"]
    api = client.get("/api/v1/reports/themes/").json()
    assert api["rows"] == as_data(page_rows)
    assert any(row["total"] for row in api["rows"])


def test_reports_count_only_what_the_user_may_see(outsider, superuser):
    IncidentFactory(is_private=True, started_at=datetime(2026, 1, 15, tzinfo=UTC))
    query = "?period=custom&start=2026-01-01&end=2026-02-01"
    hidden = client_for(outsider).get(f"/api/v1/reports/summary/{query}").json()
    shown = client_for(superuser).get(f"/api/v1/reports/summary/{query}").json()
    assert hidden["summary"]["incidents"]["current"] == 0
    assert shown["summary"]["incidents"]["current"] == 1


def test_summary_as_csv_has_one_row_per_signal(demo, reader):
    response = client_for(reader).get("/api/v1/reports/summary/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="summary.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["measure"] for row in rows[:5]] == [
        "incidents",
        "near_misses",
        "surprises",
        "difficulties",
        "ownership_gaps",
    ]
    json_body = client_for(reader).get("/api/v1/reports/summary/").json()
    assert int(rows[0]["current"]) == json_body["summary"]["incidents"]["current"]


def test_systems_as_csv_flattens_the_rate(demo, reader):
    response = client_for(reader).get("/api/v1/reports/systems/", HTTP_ACCEPT="text/csv")
    header = response.content.decode().splitlines()[0].split(",")
    assert {
        "slug",
        "incidents",
        "failure_rate.estimate",
        "failure_rate.lower",
        "change.verdict",
    } <= set(header)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?period=decade", "period"),
        ("?team=nobody", "team"),
        ("?start=2026-02-01&end=2026-01-01", "end"),
        ("?period=custom", "start"),
        ("?severity=SEV0", "severity"),
        ("?colour=red", "colour"),
    ],
)
def test_bad_report_parameters_are_400(reader, query, field):
    response = client_for(reader).get(f"/api/v1/reports/themes/{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]
