"""/api/v1/incidents/: what triggered an incident (`caused_by`, `triggered_by_change`)."""

from __future__ import annotations

import pytest

from incidents.models import Incident
from tests.api.conftest import client_for
from tests.factories import DeploymentFactory, IncidentFactory

pytestmark = pytest.mark.django_db
NEW = {"title": "Checkout returns 502", "started_at": "2026-03-01T10:00:00Z"}


def test_logging_an_incident_with_its_deployment_marks_it_triggered_by_a_change(responder):
    deployment = DeploymentFactory()
    response = client_for(responder).post(
        "/api/v1/incidents/", {**NEW, "caused_by": deployment.pk, "triggered_by_change": False}
    )
    assert response.status_code == 201
    assert response.json()["caused_by"] == deployment.pk
    assert response.json()["triggered_by_change"] is True
    assert Incident.objects.get().caused_by == deployment


def test_a_change_with_no_known_deployment(responder):
    incident = IncidentFactory()
    response = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"triggered_by_change": True}
    )
    assert response.status_code == 200
    assert response.json()["caused_by"] is None
    assert response.json()["triggered_by_change"] is True


@pytest.mark.parametrize("bad", [999_999, "abc", 10**30])
def test_an_unknown_deployment_is_a_400_and_changes_nothing(responder, bad):
    incident = IncidentFactory()
    response = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"caused_by": bad}, format="json"
    )
    assert response.status_code == 400
    assert "caused_by" in response.json()["fields"]
    incident.refresh_from_db()
    assert incident.caused_by is None
