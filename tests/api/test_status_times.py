"""The API and the import refuse a resolved or closed incident without its resolved time
(the rule is Incident.clean, tests/incidents/test_status_times.py)."""

from __future__ import annotations

from incidents.models import Incident
from tests.api.conftest import client_for
from tests.factories import IncidentFactory


def test_posting_a_resolved_incident_without_its_resolved_time_is_400(responder):
    response = client_for(responder).post(
        "/api/v1/incidents/",
        {"title": "Checkout down", "started_at": "2026-03-01T10:00:00Z", "status": "resolved"},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "resolved_at": ["A resolved incident needs the time it was resolved."]
    }
    assert not Incident.objects.exists()


def test_closing_an_incident_that_was_never_resolved_is_400(responder):
    incident = IncidentFactory(status="investigating", mitigated_at=None, resolved_at=None)
    client = client_for(responder)
    url = f"/api/v1/incidents/{incident.reference}/"
    response = client.patch(url, {"status": "closed"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["resolved_at"]
    incident.refresh_from_db()
    assert incident.status == "investigating"
    # With the time, the same change goes through.
    response = client.patch(url, {"status": "closed", "resolved_at": "2099-01-01T00:00:00Z"})
    assert response.status_code == 200, response.json()


def test_clearing_the_resolved_time_of_a_resolved_incident_is_400(responder):
    incident = IncidentFactory(status="resolved")
    response = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"resolved_at": None}
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["resolved_at"]


def test_an_import_row_resolved_without_its_time_is_a_row_error(responder):
    response = client_for(responder).post(
        "/api/v1/incidents/import/",
        [
            {"title": "Fine", "started_at": "2026-02-01T10:00:00Z"},
            {"title": "Bad", "started_at": "2026-02-01T10:00:00Z", "status": "closed"},
        ],
    )
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "resolved_at")]
    assert not Incident.objects.exists()
