"""Unique constraints reached through the API: a clash is a field-level 400 that changes
nothing, and a write that loses a race for the same value gets an answer too, never a 500."""

from __future__ import annotations

from functools import partial

import pytest

from incidents.models import Incident, IncidentSystem, Theme
from tests.api.conftest import client_for
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.factories import IncidentFactory, SystemFactory

TRIALS = 20


# --- an incident's (source, external_id) -------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_editing_an_incident_to_anothers_external_id_is_a_field_error(responder, method):
    IncidentFactory(source="alertmanager", external_id="alert-1")
    incident = IncidentFactory(source="alertmanager", external_id="alert-2", title="Kept")
    body = {
        "title": "Changed",
        "started_at": incident.started_at.isoformat(),
        "source": "alertmanager",
        "external_id": "alert-1",
    }
    response = getattr(client_for(responder), method)(
        f"/api/v1/incidents/{incident.reference}/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["external_id"] == [
        "An incident with this external id already exists for this source."
    ]
    incident.refresh_from_db()
    assert (incident.title, incident.external_id) == ("Kept", "alert-2")


def test_moving_an_incident_to_the_source_that_holds_its_external_id_is_a_field_error(
    responder,
):
    IncidentFactory(source="pagerduty", external_id="P1")
    incident = IncidentFactory(source="alertmanager", external_id="P1")
    response = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"source": "pagerduty"}, format="json"
    )
    assert response.status_code == 400
    assert "external_id" in response.json()["fields"]
    assert Incident.objects.get(pk=incident.pk).source == "alertmanager"


def test_an_incident_keeps_its_own_external_id_and_an_empty_one_is_never_a_clash(responder):
    IncidentFactory(source="api", external_id="")
    incident = IncidentFactory(source="api", external_id="A1")
    client = client_for(responder)
    url = f"/api/v1/incidents/{incident.reference}/"
    assert client.patch(url, {"title": "Same id"}, format="json").status_code == 200
    assert client.patch(url, {"external_id": ""}, format="json").status_code == 200


# --- the catalog and the codebook ----------------------------------------------------------------


@pytest.mark.parametrize("resource", ["teams", "systems", "themes"])
@pytest.mark.parametrize("field", ["name", "slug"])
def test_a_taken_catalog_name_or_slug_is_a_field_error_on_create_and_edit(
    superuser, resource, field
):
    client = client_for(superuser)
    url = f"/api/v1/{resource}/"
    assert client.post(url, {"name": "Payments", "slug": "payments"}).status_code == 201
    assert client.post(url, {"name": "Other", "slug": "other"}).status_code == 201
    clash = {"name": "Payments", "slug": "payments"}[field]
    create = client.post(url, {"name": "Third", "slug": "third", field: clash})
    edit = client.patch(f"{url}other/", {field: clash})
    for response in (create, edit):
        assert response.status_code == 400
        assert field in response.json()["fields"]
    assert client.get(f"{url}other/").json()["name"] == "Other"
    assert client.get(url).json()["count"] == 2


# --- races (PostgreSQL) ------------------------------------------------------------------------


@concurrent_test
def test_two_incidents_edited_to_the_same_external_id_at_once_one_is_a_field_error(responder):
    client = client_for(responder, token=True)
    for trial in range(TRIALS):
        first, second = IncidentFactory(source="api"), IncidentFactory(source="api")
        external_id = f"alert-{trial}"
        answers = at_the_same_moment(
            *[
                partial(
                    client.patch,
                    f"/api/v1/incidents/{incident.reference}/",
                    {"external_id": external_id},
                    format="json",
                )
                for incident in (first, second)
            ]
        )
        responses = [answer.result() for answer in answers]
        codes = sorted(response.status_code for response in responses)
        assert codes == [200, 400], [response.content for response in responses]
        loser = next(response for response in responses if response.status_code == 400)
        assert "external_id" in loser.json()["fields"]
        assert Incident.objects.filter(external_id=external_id).count() == 1


@concurrent_test
def test_two_edits_replacing_an_incidents_systems_at_once_both_succeed(responder):
    """Each deletes the incident's systems and inserts the new ones: interleaved, the second
    would insert rows the first just inserted. They hold because the incident's row is updated
    first, which makes the second wait for the first to commit."""
    client = client_for(responder, token=True)
    checkout, payments = SystemFactory(name="checkout"), SystemFactory(name="payments")
    for _ in range(TRIALS):
        incident = IncidentFactory()
        url = f"/api/v1/incidents/{incident.reference}/"
        systems = [{"system": "checkout"}, {"system": "payments", "role": "origin"}]
        edit = partial(client.patch, url, {"systems": systems}, format="json")
        answers = at_the_same_moment(edit, edit)
        responses = [answer.result() for answer in answers]
        assert [response.status_code for response in responses] == [200, 200], [
            response.content for response in responses
        ]
        stored = IncidentSystem.objects.filter(incident=incident)
        assert sorted(stored.values_list("system_id", flat=True)) == [checkout.pk, payments.pk]


@concurrent_test
def test_two_themes_of_the_same_name_created_at_once_one_is_refused_without_a_500(facilitator):
    client = client_for(facilitator, token=True)
    for trial in range(TRIALS):
        name = f"Retry storms {trial}"
        create = partial(client.post, "/api/v1/themes/", {"name": name}, format="json")
        answers = at_the_same_moment(create, create)
        responses = [answer.result() for answer in answers]
        codes = sorted(response.status_code for response in responses)
        assert codes in ([201, 400], [201, 409]), [response.content for response in responses]
        assert Theme.objects.filter(name=name).count() == 1
