"""Lists, CSV lists and details cost the same number of queries for 2 rows as for 8: no query
per row (related rows come from select_related / prefetch_related); and the lists the same for
ten incidents as for a thousand (paged and filtered in the database)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import Review
from tests.api.conftest import client_for
from tests.bulk import bulk_history, queries_to_get
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    IncidentSystemFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ParticipantFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    TimelineEntryFactory,
    UserFactory,
)


def _incident_with_everything():
    team = TeamFactory()
    incident = IncidentFactory(lead=UserFactory())
    incident.teams.add(team)
    incident.responders.add(UserFactory())
    incident.themes.add(ThemeFactory())
    system = SystemFactory(owner_team=team)
    IncidentSystemFactory(incident=incident, system=system)
    SurpriseFactory(incident=incident, system=system).themes.add(ThemeFactory())
    DifficultyFactory(incident=incident, system=system)
    OwnershipGapFactory(incident=incident, system=system, resolved_by_team=team)
    TimelineEntryFactory(incident=incident, author=UserFactory())
    review = ReviewFactory(
        incident=incident, facilitator=UserFactory(), status=Review.Status.IN_PROGRESS
    )
    ActionItemFactory(review=review, owner_team=team, assignee=UserFactory())
    ParticipantFactory(review=review, user=UserFactory(), team=team)
    NearMissFactory(reported_by=UserFactory()).systems.add(system)
    return incident


ENDPOINTS = [
    "teams",
    "systems",
    "themes",
    "incidents",
    "near-misses",
    "surprises",
    "difficulties",
    "ownership-gaps",
    "timeline-entries",
    "reviews",
    "action-items",
    "participants",
]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:  # a CSV list runs its queries while it streams
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("suffix", ["", "?format=csv"])
def test_a_list_costs_no_query_per_row(reader, endpoint, suffix):
    client = client_for(reader)
    client.get("/api/v1/teams/")  # session and content types are loaded once
    url = f"/api/v1/{endpoint}/{suffix}"
    for _ in range(2):
        _incident_with_everything()
    few = _queries(client, url)
    for _ in range(6):
        _incident_with_everything()
    assert _queries(client, url) == few


def test_an_incident_costs_no_query_per_signal(reader):
    client = client_for(reader)
    client.get("/api/v1/teams/")
    incident = _incident_with_everything()
    url = f"/api/v1/incidents/{incident.reference}/"
    few = _queries(client, url)
    for _ in range(5):
        _add_items(incident)
    assert _queries(client, url) == few


def _add_items(incident) -> None:
    SurpriseFactory(incident=incident, system=SystemFactory())
    DifficultyFactory(incident=incident, system=SystemFactory())
    OwnershipGapFactory(incident=incident, system=SystemFactory())
    TimelineEntryFactory(incident=incident, author=UserFactory())
    IncidentSystemFactory(incident=incident, system=SystemFactory(owner_team=TeamFactory()))
    incident.responders.add(UserFactory())
    incident.teams.add(TeamFactory())
    incident.themes.add(ThemeFactory())


def test_a_review_export_costs_no_query_per_item(reader):
    client = client_for(reader)
    client.get("/api/v1/teams/")
    incident = _incident_with_everything()
    Review.objects.filter(incident=incident).update(status=Review.Status.PUBLISHED)
    url = f"/api/v1/reviews/{incident.review.pk}/export/"
    few = _queries(client, url)
    for _ in range(5):
        _add_items(incident)
        ActionItemFactory(review=incident.review, owner_team=TeamFactory(), assignee=UserFactory())
        ParticipantFactory(review=incident.review, user=UserFactory(), team=TeamFactory())
    assert _queries(client, url) == few


LISTS_AT_SCALE = [
    "incidents/",
    "incidents/?page=2&page_size=3",
    "incidents/?severity=SEV2&ordering=-severity",
    "incidents/?team=bulk-team-1&system=bulk-system-2",
    "near-misses/",
    "near-misses/?severity=SEV2&page=2&page_size=1",
    "deployments/",
    "deployments/?page=2&page_size=3",
    "deployments/?system=bulk-system-2&caused=yes",
    "reviews/",
    "reviews/?status=published",
    "action-items/",
    "action-items/?overdue=true",
    "action-items/?team=none",
    "surprises/",
    "surprises/?team=bulk-team-1",
    "difficulties/",
    "ownership-gaps/?system=bulk-system-2",
]


def test_a_list_costs_the_same_for_ten_incidents_as_for_a_thousand(reader):
    """Paged and filtered in the database: the count and one page, whatever the total."""
    client = client_for(reader)
    client.get("/api/v1/teams/")
    bulk_history(10)
    few = {url: queries_to_get(client, f"/api/v1/{url}") for url in LISTS_AT_SCALE}
    bulk_history(1000)
    assert {url: queries_to_get(client, f"/api/v1/{url}") for url in LISTS_AT_SCALE} == few
