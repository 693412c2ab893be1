"""Fixtures for the review pages: one review in progress, seen by the five kinds of people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

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


# URLs and form data of the workspace, shared by its test modules.


def _url(review, name="workspace", *args):
    return reverse(f"reviews:{name}", args=[review.pk, *args])


def _section(review, section):
    return reverse("reviews:section_save", args=[review.pk, section])


def _add(review, kind):
    return reverse("reviews:item_add", args=[review.pk, kind])


def _timeline_data(review, text="Alert fired", **extra):
    at = review.incident.started_at + timedelta(minutes=7)
    return {"at": at.strftime("%Y-%m-%dT%H:%M"), "kind": "detection", "text": text, **extra}
