"""The dashboards' period: "this quarter so far" against the same days of the quarter before,
the choice remembered for the user, and counts that include private incidents say so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards.periods import QUARTER, QUARTER_TO_DATE, Period
from incidents.days import utc_today
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, TeamFactory

pytestmark = pytest.mark.django_db
OVERVIEW = reverse("dashboards:overview")
SYSTEMS = reverse("dashboards:systems")


def test_this_quarter_so_far_is_a_period_choice_compared_with_the_same_days_before(client, reader):
    client.force_login(reader)
    response = client.get(OVERVIEW, {"period": QUARTER_TO_DATE})
    period = response.context["period"]
    assert period == Period.quarter_to_date(utc_today())
    assert response.context["previous"] == period.previous()
    assert response.context["previous"].kind == QUARTER_TO_DATE
    assert '<option value="quarter_to_date" selected>This quarter so far</option>' in response.text
    assert "the same days of the quarter before" in response.text


def test_the_period_chosen_is_remembered_on_every_dashboard(client, reader):
    client.force_login(reader)
    client.get(OVERVIEW, {"period": "month"})
    for url in (OVERVIEW, SYSTEMS):
        assert client.get(url).context["period"] == Period.last_full_month(utc_today())
    client.get(SYSTEMS, {"start": "2026-01-01", "end": "2026-02-15"})
    assert client.get(OVERVIEW).context["period"].label == "01 Jan 2026 to 14 Feb 2026"


def test_a_period_that_is_refused_is_not_remembered(client, reader):
    client.force_login(reader)
    client.get(OVERVIEW, {"period": "month"})
    refused = client.get(OVERVIEW, {"start": "2026-03-01", "end": "2026-02-01"})
    assert "The end must be after the start" in refused.text
    assert client.get(OVERVIEW).context["period"].kind == "month"


def test_the_remembered_period_is_the_users_own_and_reset_goes_back_to_the_default(
    client, reader, outsider
):
    client.force_login(reader)
    client.get(OVERVIEW, {"period": "month"})
    assert 'href="/dashboard/?period=quarter">Reset</a>' in client.get(OVERVIEW).text
    client.get(OVERVIEW, {"period": QUARTER})
    assert client.get(OVERVIEW).context["period"].kind == QUARTER
    client.force_login(outsider)
    assert client.get(OVERVIEW).context["period"] == Period.last_full_quarter(utc_today())


def test_filters_are_not_remembered_only_the_period(client, reader):
    TeamFactory(name="Search")
    client.force_login(reader)
    client.get(OVERVIEW, {"period": "month", "team": "search"})
    assert client.get(OVERVIEW).context["filters"].team is None


def test_counts_that_include_private_incidents_say_so(client, responder, outsider):
    started = Period.last_full_quarter(utc_today()).start
    IncidentFactory(started_at=started, is_private=True, lead=responder)
    IncidentFactory(started_at=started)
    client.force_login(responder)
    dashboard = client.get(OVERVIEW).text
    assert "Includes 1 private incident you can see" in dashboard
    listed = client.get(reverse("incidents:list")).text
    assert "2 incidents, including 1 private incident you can see." in listed
    client.force_login(outsider)
    assert "private incident" not in client.get(OVERVIEW).text
    assert "1 incident." in client.get(reverse("incidents:list")).text


def test_the_report_api_takes_this_quarter_so_far_and_counts_private_incidents(responder):
    IncidentFactory(
        started_at=Period.quarter_to_date(utc_today()).start, is_private=True, lead=responder
    )
    response = client_for(responder).get("/api/v1/reports/summary/", {"period": QUARTER_TO_DATE})
    assert response.status_code == 200
    data = response.json()
    assert data["period"]["kind"] == QUARTER_TO_DATE
    # The same days (fewer only when the quarter before is the shorter one, on its last day).
    assert data["previous_period"]["days"] <= data["period"]["days"]
    assert data["summary"]["private_incidents"] == 1
