"""/api/v1/surprises/, /difficulties/, /ownership-gaps/ and /timeline-entries/."""

from __future__ import annotations

import pytest

from incidents.models import Surprise
from reviews.models import Review
from tests.api.conftest import client_for
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    TeamFactory,
    ThemeFactory,
    TimelineEntryFactory,
)


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 201), ("facilitator", 201)]
)
def test_who_may_add_a_surprise(db, request, person, expected):
    incident = IncidentFactory()
    response = client_for(request.getfixturevalue(person)).post(
        "/api/v1/surprises/",
        {"incident": incident.reference, "expected": "a retry", "observed": "a storm"},
    )
    assert response.status_code == expected


def test_a_published_review_freezes_its_incident_signals(responder):
    incident = IncidentFactory()
    ReviewFactory(incident=incident, status=Review.Status.PUBLISHED)
    surprise = SurpriseFactory(incident=incident)
    client = client_for(responder)
    response = client.post(
        "/api/v1/surprises/", {"incident": incident.reference, "expected": "x", "observed": "y"}
    )
    assert response.status_code == 403
    assert "published" in response.json()["detail"]
    assert client.patch(f"/api/v1/surprises/{surprise.pk}/", {"notes": "n"}).status_code == 403


def test_signals_of_a_private_incident_are_hidden(outsider, responder):
    incident = IncidentFactory(is_private=True)
    surprise = SurpriseFactory(incident=incident)
    difficulty = DifficultyFactory(incident=incident)
    gap = OwnershipGapFactory(incident=incident)
    TimelineEntryFactory(incident=incident)
    client = client_for(outsider)
    for path in ("surprises", "difficulties", "ownership-gaps", "timeline-entries"):
        assert client.get(f"/api/v1/{path}/").json()["count"] == 0
    assert client.get(f"/api/v1/surprises/{surprise.pk}/").status_code == 404
    assert client.get(f"/api/v1/difficulties/{difficulty.pk}/").status_code == 404
    assert client.get(f"/api/v1/ownership-gaps/{gap.pk}/").status_code == 404
    hidden = client_for(responder).post(
        "/api/v1/surprises/", {"incident": incident.reference, "expected": "x", "observed": "y"}
    )
    assert hidden.status_code == 400
    assert "does not exist" in hidden.json()["fields"]["incident"][0]


def test_a_signal_belongs_to_exactly_one_incident_or_near_miss(responder):
    incident, near_miss = IncidentFactory(), NearMissFactory()
    client = client_for(responder)
    both = client.post(
        "/api/v1/difficulties/",
        {
            "incident": incident.reference,
            "near_miss": near_miss.pk,
            "category": "tooling",
            "description": "d",
        },
    )
    neither = client.post("/api/v1/difficulties/", {"category": "tooling", "description": "d"})
    assert both.status_code == neither.status_code == 400
    assert "exactly one" in both.json()["fields"]["incident"][0]
    on_near_miss = client.post(
        "/api/v1/difficulties/",
        {"near_miss": near_miss.pk, "category": "tooling", "description": "d"},
    )
    assert on_near_miss.status_code == 201


def test_a_surprise_needs_expected_and_observed(responder):
    response = client_for(responder).post(
        "/api/v1/surprises/", {"incident": IncidentFactory().reference, "expected": "x"}
    )
    assert response.json()["fields"]["observed"] == ["This field is required."]


def test_an_ownership_gap_taken_by_a_team_must_be_resolved(responder):
    team = TeamFactory()
    response = client_for(responder).post(
        "/api/v1/ownership-gaps/",
        {
            "incident": IncidentFactory().reference,
            "kind": "owner_unclear",
            "resolved_by_team": team.slug,
        },
    )
    assert response.status_code == 400
    assert "resolved" in response.json()["fields"]


def test_surprises_carry_themes(responder):
    theme = ThemeFactory(name="Retries")
    response = client_for(responder).post(
        "/api/v1/surprises/",
        {
            "incident": IncidentFactory().reference,
            "expected": "x",
            "observed": "y",
            "themes": [theme.slug],
        },
    )
    assert response.json()["themes"] == ["retries"]
    assert list(Surprise.objects.get().themes.all()) == [theme]


@pytest.mark.parametrize(("person", "expected"), [("responder", 403), ("facilitator", 204)])
def test_only_facilitators_delete_signals(db, request, person, expected):
    surprise = SurpriseFactory()
    response = client_for(request.getfixturevalue(person)).delete(
        f"/api/v1/surprises/{surprise.pk}/"
    )
    assert response.status_code == expected


def test_ownership_gap_filters(reader):
    open_gap = OwnershipGapFactory(kind="no_owner", resolved=False)
    OwnershipGapFactory(kind="no_owner", resolved=True)
    OwnershipGapFactory(kind="owner_unreachable", resolved=False)
    body = client_for(reader).get("/api/v1/ownership-gaps/?kind=no_owner&resolved=false").json()
    assert [item["id"] for item in body["results"]] == [open_gap.pk]
    assert client_for(reader).get("/api/v1/ownership-gaps/?resolved=maybe").status_code == 400


def test_difficulty_filter_by_category_and_subject(reader):
    match = DifficultyFactory(category="tooling")
    DifficultyFactory(category="coordination")
    DifficultyFactory(category="tooling", incident=None, near_miss=NearMissFactory())
    body = client_for(reader).get("/api/v1/difficulties/?category=tooling&subject=incident").json()
    assert [item["id"] for item in body["results"]] == [match.pk]


def test_timeline_entry_records_its_author(responder):
    incident = IncidentFactory()
    response = client_for(responder).post(
        "/api/v1/timeline-entries/",
        {
            "incident": incident.reference,
            "at": "2026-03-01T10:05:00Z",
            "kind": "detection",
            "text": "Paged",
        },
    )
    assert response.status_code == 201
    assert response.json()["author"] == "rita"


def test_timeline_entries_filter_by_incident(reader):
    entry = TimelineEntryFactory()
    TimelineEntryFactory()
    body = (
        client_for(reader)
        .get(f"/api/v1/timeline-entries/?incident={entry.incident.reference}")
        .json()
    )
    assert [item["id"] for item in body["results"]] == [entry.pk]


def test_reader_cannot_add_to_the_timeline(reader):
    response = client_for(reader).post(
        "/api/v1/timeline-entries/",
        {"incident": IncidentFactory().reference, "at": "2026-03-01T10:05:00Z", "text": "x"},
    )
    assert response.status_code == 403


def test_filtering_by_a_hidden_incident_is_answered_as_for_an_unknown_one(reader):
    # A private incident one may not see is "no such incident" in a filter too, as the
    # serializers' incident fields already answer: not an empty list that confirms it exists.
    hidden = IncidentFactory(is_private=True)
    client = client_for(reader)
    for url in ("/api/v1/timeline-entries/", "/api/v1/reviews/"):
        unknown = client.get(url, {"incident": "INC-9999"})
        answer = client.get(url, {"incident": hidden.reference})
        assert unknown.status_code == 400
        assert (answer.status_code, answer.json()) == (400, unknown.json())
