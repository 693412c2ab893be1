"""Failure rates per change in /api/v1/reports/summary/ and /systems/, JSON and CSV: the same
selectors as the pages, so the same numbers; a private incident's cause counts only for those
who may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from api.reports import as_data
from tests.api.conftest import client_for
from tests.factories import (
    DeploymentFactory,
    IncidentFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
QUERY = "?start=2026-07-01&end=2026-10-01"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def world(db):
    checkout = SystemFactory(name="checkout-api", owner_team=TeamFactory(name="Shop"))
    SystemFactory(name="legacy-cron", owner_team=None)
    lead = UserFactory(username="lead")
    deploys = [DeploymentFactory(system=checkout, deployed_at=at("2026-08-01")) for _ in range(10)]
    for _ in range(5):
        DeploymentFactory(system=checkout, deployed_at=at("2026-05-01"))
    IncidentFactory(started_at=at("2026-08-02"), systems=[checkout], caused_by=deploys[0])
    IncidentFactory(
        started_at=at("2026-08-02"),
        systems=[checkout],
        caused_by=deploys[1],
        is_private=True,
        lead=lead,
    )
    IncidentFactory(started_at=at("2026-05-02"), systems=[checkout])
    return {"lead": lead}


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_summary_report_and_the_overview_agree_per_change(world, reader):
    client = client_for(reader)
    page = client.get(f"/dashboard/{QUERY}")
    api = client.get(f"/api/v1/reports/summary/{QUERY}").json()
    assert api["changes"] == as_data(page.context["per_change"])
    rates = api["changes"]["rates"]
    assert (rates["deployments"], rates["deployments_previous"]) == (10, 5)
    assert rates["failed_deployments"] == 1  # the private incident's deployment is not failed
    assert rates["change_failure_rate"]["estimate"] == pytest.approx(0.1)
    assert rates["per_100_deployments"]["estimate"] == pytest.approx(10.0)
    assert rates["change"]["verdict"] == "no detectable change"
    (shop,) = [team for team in api["changes_by_team"] if team["slug"] == "shop"]
    assert shop["changes"]["deployments"] == 10


def test_the_lead_of_the_private_incident_counts_its_cause(world):
    api = client_for(world["lead"]).get(f"/api/v1/reports/summary/{QUERY}").json()
    assert api["changes"]["rates"]["failed_deployments"] == 2
    assert api["changes"]["rates"]["incidents"] == 2


def test_the_summary_csv_ends_with_the_per_change_measures(world, reader):
    rows = _csv(client_for(reader).get(f"/api/v1/reports/summary/{QUERY}&format=csv"))
    by_measure = {row["measure"]: row for row in rows}
    assert (by_measure["deployments"]["current"], by_measure["deployments"]["previous"]) == (
        "10",
        "5",
    )
    per_100 = by_measure["incidents_per_100_deployments"]
    assert float(per_100["current"]) == pytest.approx(10.0)
    assert float(per_100["previous"]) == pytest.approx(20.0)
    assert per_100["verdict"] == "no detectable change"
    assert float(by_measure["change_failure_rate"]["current"]) == pytest.approx(0.1)
    assert [row["measure"] for row in rows[-3:]] == [
        "deployments",
        "incidents_per_100_deployments",
        "change_failure_rate",
    ]


def test_the_systems_report_gives_each_row_its_rates_per_change(world, reader):
    client = client_for(reader)
    page_rows = client.get(f"/dashboard/systems/{QUERY}").context["rows"]
    api_rows = {
        row["slug"]: row for row in client.get(f"/api/v1/reports/systems/{QUERY}").json()["rows"]
    }
    for row in page_rows:
        assert api_rows[row.slug] == as_data(row)
    checkout, cron = api_rows["checkout-api"], api_rows["legacy-cron"]
    assert checkout["denominator"] == "per 100 deployments"
    assert checkout["changes"]["change_failure_rate"]["successes"] == 1
    assert checkout["verdict_change"] == checkout["changes"]["change"]
    assert cron["denominator"] == "per 30 days"
    assert cron["changes"]["change"] is None
    assert cron["rate"] == cron["failure_rate"]


def test_the_systems_csv_has_the_per_change_columns_even_when_empty(world, reader):
    response = client_for(reader).get(f"/api/v1/reports/systems/{QUERY}", HTTP_ACCEPT="text/csv")
    rows = {row["slug"]: row for row in _csv(response)}
    assert {
        "changes.deployments",
        "changes.per_100_deployments.estimate",
        "changes.change_failure_rate.lower",
        "changes.change.verdict",
        "denominator",
        "verdict_change.verdict",
    } <= set(rows["checkout-api"])
    assert rows["checkout-api"]["changes.deployments"] == "10"
    assert rows["legacy-cron"]["changes.change.verdict"] == ""
    assert rows["legacy-cron"]["changes.per_100_deployments.estimate"] == ""
