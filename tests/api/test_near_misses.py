"""/api/v1/near-misses/: an anonymous report never names its reporter, anywhere."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from incidents.models import NearMiss
from tests.api.conftest import client_for
from tests.factories import NearMissFactory, SurpriseFactory, SystemFactory

NEW = {
    "title": "Deploy nearly wiped the cache",
    "description": "A flag was flipped in the wrong environment.",
    "occurred_at": "2026-03-02T09:00:00Z",
    "stopped_by": "person",
}


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_an_anonymous_report_stores_and_shows_no_reporter(responder, reader):
    response = client_for(responder).post("/api/v1/near-misses/", {**NEW, "anonymous": True})
    assert response.status_code == 201
    assert response.json()["reporter"] is None
    assert response.json()["anonymous"] is True
    near_miss = NearMiss.objects.get()
    assert near_miss.reported_by is None
    client = client_for(reader)
    assert client.get(f"/api/v1/near-misses/{near_miss.pk}/").json()["reporter"] is None
    for row in _csv(client.get("/api/v1/near-misses/?format=csv")):
        assert row["reporter"] == ""
        assert "rita" not in row.values()
    export = b"".join(client.get("/api/v1/near-misses/export/").streaming_content).decode()
    assert "rita" not in export


def test_a_named_report_shows_its_reporter(responder):
    response = client_for(responder).post("/api/v1/near-misses/", NEW)
    assert response.status_code == 201
    assert response.json()["reporter"] == "rita"
    assert response.json()["anonymous"] is False


def test_an_anonymous_report_cannot_be_attributed_later(responder):
    near_miss = NearMissFactory(reported_by=None)
    response = client_for(responder).patch(
        f"/api/v1/near-misses/{near_miss.pk}/", {"anonymous": False}
    )
    assert response.status_code == 400
    assert "stays anonymous" in response.json()["fields"]["anonymous"][0]


def test_a_named_report_can_be_made_anonymous(responder):
    near_miss = NearMissFactory(reported_by=responder)
    response = client_for(responder).patch(
        f"/api/v1/near-misses/{near_miss.pk}/", {"anonymous": True}
    )
    assert response.json()["reporter"] is None
    near_miss.refresh_from_db()
    assert near_miss.reported_by is None


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 201), ("responder", 201), ("facilitator", 201)]
)
def test_anyone_logged_in_may_report_a_near_miss(db, request, person, expected):
    response = client_for(request.getfixturevalue(person)).post("/api/v1/near-misses/", NEW)
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 200), ("facilitator", 200)]
)
def test_only_responders_edit_a_near_miss(db, request, person, expected):
    near_miss = NearMissFactory()
    response = client_for(request.getfixturevalue(person)).patch(
        f"/api/v1/near-misses/{near_miss.pk}/", {"title": "Renamed"}
    )
    assert response.status_code == expected


def test_detected_before_it_happened_is_refused(responder):
    response = client_for(responder).post(
        "/api/v1/near-misses/", {**NEW, "detected_at": "2026-03-01T09:00:00Z"}
    )
    assert response.status_code == 400
    assert "detected_at" in response.json()["fields"]


def test_filters_by_system_and_period(reader):
    cache = SystemFactory(name="cache")
    match = NearMissFactory(systems=[cache], occurred_at=datetime(2026, 3, 10, tzinfo=UTC))
    NearMissFactory(systems=[cache], occurred_at=datetime(2026, 5, 10, tzinfo=UTC))
    NearMissFactory(occurred_at=datetime(2026, 3, 10, tzinfo=UTC))
    body = (
        client_for(reader)
        .get("/api/v1/near-misses/?system=cache&start=2026-03-01&end=2026-04-01")
        .json()
    )
    assert [item["id"] for item in body["results"]] == [match.pk]


def test_export_counts_signals(reader):
    near_miss = NearMissFactory(systems=[SystemFactory(name="dns")])
    SurpriseFactory(incident=None, near_miss=near_miss)
    rows = _csv(client_for(reader).get("/api/v1/near-misses/export/?format=csv"))
    assert rows[0]["surprise_count"] == "1"
    assert rows[0]["systems"] == "dns"
    assert rows[0]["reporter"] == ""
