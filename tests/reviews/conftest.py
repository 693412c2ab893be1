"""Fixtures for the review pages: one review in progress, seen by the five kinds of people."""

from __future__ import annotations

import pytest
from django.test import Client

from reviews.models import Review
from tests.factories import IncidentFactory, ReviewFactory, SystemFactory, TeamFactory

ROLE_FIXTURES = ["facilitator", "responder", "reader"]


@pytest.fixture
def incident(db):
    payments = TeamFactory(name="Payments")
    return IncidentFactory(
        title="Checkout errors after deploy",
        systems=[SystemFactory(name="checkout", owner_team=payments)],
        teams=[payments],
    )


@pytest.fixture
def review(incident, facilitator):
    return ReviewFactory(
        incident=incident, facilitator=facilitator, status=Review.Status.IN_PROGRESS
    )


@pytest.fixture
def private_review(facilitator, responder):
    """A private incident: the facilitator and responder are involved, nobody else."""
    incident = IncidentFactory(is_private=True, title="Leaked token")
    incident.responders.add(responder)
    return ReviewFactory(
        incident=incident, facilitator=facilitator, status=Review.Status.IN_PROGRESS
    )


@pytest.fixture
def as_user(request):
    """as_user("facilitator") -> a test client logged in as that fixture's user."""

    def login(name: str, **client_options) -> Client:
        client = Client(**client_options)
        if name != "anonymous":
            client.force_login(request.getfixturevalue(name))
        return client

    return login


HTMX = {"HTTP_HX_REQUEST": "true"}
