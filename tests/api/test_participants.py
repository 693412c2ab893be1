"""/api/v1/participants/ and the learning survey (POST /api/v1/reviews/{id}/survey/)."""

from __future__ import annotations

import pytest

from reviews.models import Review, SurveyResponse
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, ParticipantFactory, ReviewFactory


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 403), ("facilitator", 201)]
)
def test_only_facilitators_list_participants(db, request, person, expected):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    response = client_for(request.getfixturevalue(person)).post(
        "/api/v1/participants/", {"review": review.pk, "name": "Sam from support"}
    )
    assert response.status_code == expected


def test_a_participant_needs_a_user_or_a_name(facilitator):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    response = client_for(facilitator).post("/api/v1/participants/", {"review": review.pk})
    assert response.status_code == 400
    assert response.json()["fields"]["name"] == ["Choose a user or type a name."]


def test_recording_an_interview(facilitator):
    participant = ParticipantFactory(review=ReviewFactory(status=Review.Status.IN_PROGRESS))
    client = client_for(facilitator)
    response = client.patch(
        f"/api/v1/participants/{participant.pk}/", {"interviewed_at": "2026-03-03T10:00:00Z"}
    )
    assert response.json()["was_interviewed"] is True
    listed = client.get(f"/api/v1/participants/?review={participant.review_id}&interviewed=true")
    assert [item["id"] for item in listed.json()["results"]] == [participant.pk]


def test_participants_of_private_incidents_are_hidden(outsider):
    ParticipantFactory(review=ReviewFactory(incident=IncidentFactory(is_private=True)))
    assert client_for(outsider).get("/api/v1/participants/").json()["count"] == 0


def test_a_participant_answers_the_survey_once(reader):
    review = ReviewFactory(status=Review.Status.PUBLISHED)
    ParticipantFactory(review=review, user=reader)
    client = client_for(reader)
    answer = {"learned_something": True, "would_attend_again": False, "still_unclear": "DNS"}
    assert client.post(f"/api/v1/reviews/{review.pk}/survey/", answer).status_code == 200
    again = client.post(f"/api/v1/reviews/{review.pk}/survey/", {**answer, "still_unclear": ""})
    assert again.json()["respondent"] == "reed"
    assert SurveyResponse.objects.get().still_unclear == ""


def test_the_survey_is_for_participants_of_a_published_review(reader, outsider):
    unpublished = ReviewFactory(status=Review.Status.IN_PROGRESS)
    ParticipantFactory(review=unpublished, user=reader)
    answer = {"learned_something": True, "would_attend_again": True}
    assert (
        client_for(reader).post(f"/api/v1/reviews/{unpublished.pk}/survey/", answer).status_code
        == 403
    )
    published = ReviewFactory(status=Review.Status.PUBLISHED)
    assert (
        client_for(outsider).post(f"/api/v1/reviews/{published.pk}/survey/", answer).status_code
        == 403
    )


def test_a_facilitator_adds_a_forgotten_participant_to_a_published_review(facilitator, reader):
    review = ReviewFactory(status=Review.Status.PUBLISHED)
    client = client_for(facilitator)
    added = client.post("/api/v1/participants/", {"review": review.pk, "user": reader.username})
    assert added.status_code == 201
    assert review.participants.filter(user=reader).exists()
    # What a participant said stays frozen with the rest of the published review.
    edited = client.patch(
        f"/api/v1/participants/{added.json()['id']}/", {"interviewed_at": "2026-03-03T10:00:00Z"}
    )
    assert edited.status_code == 403
    assert client.delete(f"/api/v1/participants/{added.json()['id']}/").status_code == 403


def test_only_facilitators_add_participants_to_a_published_review(responder):
    review = ReviewFactory(status=Review.Status.PUBLISHED)
    response = client_for(responder).post(
        "/api/v1/participants/", {"review": review.pk, "name": "Sam from support"}
    )
    assert response.status_code == 403
    assert not review.participants.exists()
