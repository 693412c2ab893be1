"""A published review freezes its incident in the API as it does in the admin and the pages:
no edit, no delete, except by a superuser (who may correct a mistake, as in the admin)."""

from __future__ import annotations

import pytest

from incidents.models import Incident
from reviews.models import Review
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def _published_incident() -> Incident:
    incident = IncidentFactory(title="As it was")
    ReviewFactory(incident=incident, status=Review.Status.PUBLISHED)
    return incident


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_responder_cannot_edit_an_incident_whose_review_is_published(responder, method):
    incident = _published_incident()
    client = client_for(responder)
    current = client.get(f"/api/v1/incidents/{incident.reference}/").json()
    body = {"title": "Rewritten"} if method == "patch" else {**current, "title": "Rewritten"}
    response = getattr(client, method)(
        f"/api/v1/incidents/{incident.reference}/", body, format="json"
    )
    assert response.status_code == 403
    assert "published" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.title == "As it was"


def test_a_facilitator_cannot_delete_an_incident_whose_review_is_published(facilitator):
    incident = _published_incident()
    response = client_for(facilitator).delete(f"/api/v1/incidents/{incident.reference}/")
    assert response.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_an_incident_whose_review_is_not_published_stays_editable(responder):
    incident = IncidentFactory(title="As it was")
    ReviewFactory(incident=incident, status=Review.Status.IN_PROGRESS)
    response = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"title": "Corrected"}, format="json"
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.title == "Corrected"


def test_a_superuser_may_still_correct_a_frozen_incident():
    incident = _published_incident()
    admin = UserFactory(is_superuser=True, is_staff=True)
    response = client_for(admin).patch(
        f"/api/v1/incidents/{incident.reference}/", {"title": "Corrected"}, format="json"
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.title == "Corrected"
