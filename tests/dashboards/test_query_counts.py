"""The number of queries per dashboard page does not grow with the data (aggregates in SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.rollups.refresh import rebuild
from incidents.models import Incident
from reviews.models import ActionItem, Review
from tests.bulk import bulk_history, queries_to_get
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
)

START = datetime(2026, 4, 1, tzinfo=UTC)
PARAMS = {"start": "2026-07-01", "end": "2026-10-01"}
# A generous ceiling on top of "constant": a page that suddenly needs many more queries is a
# regression even if it stays constant.
CEILING = {
    # With the monthly rollups: each page also reads which months the cells answer, and the
    # cells themselves, beside the live counts of the rest.
    "dashboards:overview": 60,
    # + the failure rates per change: the systems' deployments and the table per team.
    "dashboards:systems": 40,
    "dashboards:themes": 22,
    "dashboards:system_detail": 32,
}


def _build(size: int) -> None:
    teams = [TeamFactory(name=f"Team {i}") for i in range(3)]
    systems = [
        SystemFactory(name=f"sys-{i}", owner_team=teams[i % 3] if i % 4 else None) for i in range(6)
    ]
    themes = [ThemeFactory(name=f"Theme {i}") for i in range(4)]
    for i in range(size):
        started = START + timedelta(days=(i * 7) % 180, hours=i % 24)
        incident = IncidentFactory(
            started_at=started,
            systems=[systems[i % 6], systems[(i + 1) % 6]],
            teams=[teams[i % 3]],
            is_private=i % 5 == 0,
        )
        surprise = SurpriseFactory(incident=incident, system=systems[i % 6] if i % 2 else None)
        surprise.themes.add(themes[i % 4])
        DifficultyFactory(incident=incident, system=systems[(i + 1) % 6]).themes.add(themes[0])
        OwnershipGapFactory(incident=incident, system=systems[i % 6], resolved=i % 2 == 0)
        themes[i % 4].incidents.add(incident)
        review = ReviewFactory(
            incident=incident,
            status=Review.Status.PUBLISHED,
            published_at=incident.resolved_at + timedelta(days=3),
        )
        ActionItemFactory(review=review, owner_team=None if i % 3 == 0 else teams[0])
        ActionItemFactory(review=review, status=ActionItem.Status.DONE)
        SurveyResponseFactory(review=review)
        near_miss = NearMissFactory(
            occurred_at=started + timedelta(hours=3), systems=[systems[i % 6]]
        )
        SurpriseFactory(incident=None, near_miss=near_miss)


def _count(client, name: str, params: dict) -> int:
    args = ["sys-0"] if name == "dashboards:system_detail" else []
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("name", sorted(CEILING))
@pytest.mark.parametrize(
    "params", [PARAMS, {**PARAMS, "team": "team-0", "severity": "SEV3", "system": "sys-1"}]
)
@pytest.mark.parametrize("rolled", [False, True], ids=["live", "from-rollups"])
def test_queries_per_page_do_not_grow_with_the_data(
    client, reader, django_assert_max_num_queries, name, params, rolled
):
    client.force_login(reader)
    _build(2)
    if rolled:
        rebuild()
    tiny = _count(client, name, params)
    assert tiny <= CEILING[name]
    _build(40)  # the same shapes again, twenty times as many
    if rolled:
        rebuild()
    with django_assert_max_num_queries(tiny):
        args = ["sys-0"] if name == "dashboards:system_detail" else []
        response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200


# The pages of one system and of the themes, with the data of the list pages' tests
# (tests/bulk.py): the same number of queries for ten incidents as for a thousand.
AT_SCALE = ["/dashboard/systems/bulk-system-1/", "/dashboard/themes/"]


@pytest.mark.parametrize("params", ["", "?team=bulk-team-1&severity=SEV2"])
def test_a_system_and_the_themes_cost_the_same_for_ten_incidents_as_for_a_thousand(
    client, reader, params
):
    client.force_login(reader)
    client.get("/")  # the session and the content types are read once
    bulk_history(10)
    ThemeFactory(name="Bulk theme").incidents.add(*Incident.objects.all()[:5])
    few = {url: queries_to_get(client, url + params) for url in AT_SCALE}
    bulk_history(1000)
    assert {url: queries_to_get(client, url + params) for url in AT_SCALE} == few
