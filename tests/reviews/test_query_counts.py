"""The review queue, home and the follow-up list cost the same number of queries for ten
incidents as for a thousand: they count, sort, filter and page in the database, and read what
each row shows with the page (no query per row)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards.rollups.refresh import refresh
from incidents.derived import any_marked
from reviews.selectors import REVIEWS_SHOWN
from tests.bulk import bulk_history, queries_to_get

pytestmark = pytest.mark.django_db

QUEUE = [
    "/reviews/",
    "/reviews/?page=2",
    "/reviews/?severity=SEV2",
    "/reviews/?team=bulk-team-1",
    "/reviews/?system=bulk-system-1",
    "/reviews/?cue=teams",
    "/reviews/?cue=first_collaboration",
    "/reviews/?cue=unowned_system",
    "/reviews/?cue=high_severity",
    "/reviews/?overdue=true",
    "/reviews/?team=bulk-team-2&cue=teams&overdue=true",
]
FOLLOW_UPS = [
    "/follow-ups/",
    "/follow-ups/?page=2",
    "/follow-ups/?status=all",
    "/follow-ups/?overdue=true",
    "/follow-ups/?team=none",
    "/follow-ups/?team=bulk-team-1&status=all",
]
# A query that reads incidents, not only counts them.
INCIDENT_ROWS = 'SELECT "incidents_incident"."id", "incidents_incident"."reference"'
STORED_ROWS = 'SELECT "reviews_waiting_incident"."incident_id"'


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/")  # the session and the content types are read once
    return client


def _queries(client, urls: list[str]) -> dict[str, int]:
    return {url: queries_to_get(client, url) for url in urls}


# The queue reads its stored cues (reviews.WaitingIncident) once the writes' months are
# refreshed, and computes them live while a month is marked: both ways are bounded.
WAYS = {"stored": True, "live": False}


def _history(size: int, *, stored: bool) -> None:
    bulk_history(size)
    if stored:
        refresh()
        assert not any_marked()


@pytest.mark.parametrize("stored", WAYS.values(), ids=WAYS.keys())
def test_the_queue_and_home_cost_the_same_for_ten_incidents_as_for_a_thousand_waiting(
    facilitator, stored
):
    client = _logged_in(facilitator)
    _history(10, stored=stored)
    few = _queries(client, ["/", *QUEUE])
    _history(1500, stored=stored)  # a thousand of them wait for a review
    assert _queries(client, ["/", *QUEUE]) == few


@pytest.mark.parametrize("stored", WAYS.values(), ids=WAYS.keys())
@pytest.mark.parametrize(
    ("url", "page"), [("/reviews/?page=2", "LIMIT 25 OFFSET 25"), ("/", "LIMIT 8")]
)
def test_the_queue_and_home_read_only_the_incidents_they_show(facilitator, url, page, stored):
    client = _logged_in(facilitator)
    _history(90, stored=stored)  # 60 waiting for a review
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # The incidents shown are the only ones read: counting, sorting and filtering the others
    # happen in the database.
    rows = STORED_ROWS if stored else INCIDENT_ROWS
    reads = [query["sql"] for query in queries if query["sql"].startswith(rows)]
    assert reads
    assert all(sql.endswith(page) for sql in reads)


def test_the_follow_up_list_costs_the_same_for_ten_incidents_as_for_a_thousand(reader):
    client = _logged_in(reader)
    bulk_history(10)
    few = _queries(client, FOLLOW_UPS)
    bulk_history(1000)
    assert _queries(client, FOLLOW_UPS) == few


def test_the_queue_shows_a_few_reviews_under_way_however_many_there_are(facilitator):
    client = _logged_in(facilitator)
    bulk_history(5)
    few = _queries(client, ["/reviews/", "/reviews/?block=in_progress"])
    bulk_history(1500)  # a thousand waiting for a review, over three hundred under way
    assert _queries(client, ["/reviews/", "/reviews/?block=in_progress"]) == few
    response = client.get("/reviews/")
    queue = response.context["queue"]
    assert queue.counts["scheduled"] + queue.counts["in_progress"] > 300
    assert (len(queue.scheduled), len(queue.in_progress)) == (REVIEWS_SHOWN, REVIEWS_SHOWN)
    # Only those rows are rendered: each review under way links to its workspace once.
    workspace_links = re.findall(r'href="/reviews/[0-9]+/"', response.text)
    assert len(workspace_links) == 2 * REVIEWS_SHOWN
