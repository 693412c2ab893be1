"""/api/v1/action-items/: follow-ups under the review's rules; status stays editable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import ActionItem, Review
from tests.api.conftest import client_for
from tests.factories import ActionItemFactory, IncidentFactory, ReviewFactory, TeamFactory


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 403), ("facilitator", 201)]
)
def test_only_facilitators_add_follow_ups(db, request, person, expected):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    response = client_for(request.getfixturevalue(person)).post(
        "/api/v1/action-items/", {"review": review.pk, "title": "Add an alert"}
    )
    assert response.status_code == expected


def test_no_follow_ups_are_added_to_a_published_review(facilitator):
    review = ReviewFactory(status=Review.Status.PUBLISHED)
    response = client_for(facilitator).post(
        "/api/v1/action-items/", {"review": review.pk, "title": "Late"}
    )
    assert response.status_code == 403


def test_the_assignee_may_change_only_the_status(reader):
    item = ActionItemFactory(assignee=reader, review=ReviewFactory(status=Review.Status.PUBLISHED))
    client = client_for(reader)
    done = client.patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"})
    assert done.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
    assert item.completed_at is not None
    retitled = client.patch(f"/api/v1/action-items/{item.pk}/", {"title": "Something else"})
    assert retitled.status_code == 403
    assert "only the status" in retitled.json()["detail"]


def test_someone_else_cannot_change_the_status(outsider):
    item = ActionItemFactory()
    response = client_for(outsider).patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"})
    assert response.status_code == 403


def test_filters_unowned_and_overdue(reader):
    unowned = ActionItemFactory(owner_team=None)
    overdue = ActionItemFactory(due_date=timezone.localdate() - timedelta(days=3))
    team = TeamFactory(name="Payments")
    owned = ActionItemFactory(owner_team=team)
    client = client_for(reader)
    assert [i["id"] for i in client.get("/api/v1/action-items/?team=none").json()["results"]] == [
        unowned.pk
    ]
    assert [
        i["id"] for i in client.get("/api/v1/action-items/?overdue=true").json()["results"]
    ] == [overdue.pk]
    assert [
        i["id"] for i in client.get("/api/v1/action-items/?team=payments").json()["results"]
    ] == [owned.pk]
    assert client.get("/api/v1/action-items/?team=nobody").status_code == 400


def test_csv_lists_follow_ups(reader):
    ActionItemFactory(title="Rotate the certificate")
    response = client_for(reader).get("/api/v1/action-items/?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("id,review,incident,title,")
    assert "Rotate the certificate" in body


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [("action-items", {"title": "Probe"}), ("participants", {"name": "Probe"})],
)
def test_a_review_of_a_hidden_incident_is_answered_as_missing(facilitator, endpoint, body):
    review = ReviewFactory(
        status=Review.Status.IN_PROGRESS, incident=IncidentFactory(is_private=True)
    )
    response = client_for(facilitator).post(f"/api/v1/{endpoint}/", {"review": review.pk, **body})
    assert response.status_code == 400
    assert response.json()["fields"]["review"] == [
        f'Invalid pk "{review.pk}" - object does not exist.'
    ]
    assert not review.action_items.exists()
    assert not review.participants.exists()
