"""Deployments on the incident record: the exposure behind failure rates, and the change
behind an incident (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Deployment, Incident
from incidents.services import deployment_create_or_get, deployments_record
from tests.factories import DeploymentFactory, IncidentFactory, SystemFactory

pytestmark = pytest.mark.django_db


def test_naming_the_deployment_marks_the_incident_triggered_by_a_change():
    incident = IncidentFactory(caused_by=DeploymentFactory())
    incident.refresh_from_db()
    assert incident.triggered_by_change


def test_the_flag_follows_a_deployment_named_by_a_partial_save():
    incident = IncidentFactory()
    incident.caused_by = DeploymentFactory()
    incident.save(update_fields=["caused_by"])
    incident.refresh_from_db()
    assert incident.triggered_by_change


def test_the_database_refuses_a_cause_without_the_change_flag():
    incident = IncidentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(caused_by=DeploymentFactory())


def test_deleting_a_deployment_keeps_that_a_change_triggered_the_incident():
    deployment = DeploymentFactory()
    incident = IncidentFactory(caused_by=deployment)
    deployment.delete()
    incident.refresh_from_db()
    assert incident.caused_by is None
    assert incident.triggered_by_change


def test_environment_names_are_compared_lower_case():
    deployment = DeploymentFactory(environment=" Production ")
    assert deployment.environment == "production"
    assert list(Deployment.objects.production()) == [deployment]


def test_one_external_id_per_source_but_empty_ids_repeat():
    DeploymentFactory(source="api", external_id="run-1")
    DeploymentFactory(source="github", external_id="run-1")
    DeploymentFactory(source="api", external_id="")
    DeploymentFactory(source="api", external_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        DeploymentFactory(source="api", external_id="run-1")


def test_create_or_get_returns_the_deployment_already_recorded():
    system = SystemFactory()
    data = {"system": system, "deployed_at": timezone.now(), "external_id": "ci-42"}
    first, created = deployment_create_or_get(data=data)
    again, created_again = deployment_create_or_get(data={**data, "ref": "other"})
    assert (created, created_again) == (True, False)
    assert again == first
    assert first.source == Deployment.Source.API
    assert Deployment.objects.count() == 1


def test_recording_many_skips_the_recorded_and_repeated_pairs_in_row_order():
    system = SystemFactory()
    now = timezone.now()
    old = DeploymentFactory(system=system, source="api", external_id="a")
    rows = [
        {"system": system, "deployed_at": now, "external_id": "a"},
        {"system": system, "deployed_at": now, "external_id": "b"},
        {"system": system, "deployed_at": now},
        {"system": system, "deployed_at": now, "external_id": "b"},
    ]
    recorded = deployments_record(rows=rows)
    assert [created for _deployment, created in recorded] == [False, True, True, False]
    assert recorded[0][0] == old
    assert recorded[1][0] == recorded[3][0]
    assert Deployment.objects.count() == 3
    again = deployments_record(rows=rows[:2])
    assert [created for _deployment, created in again] == [False, False]
    assert Deployment.objects.count() == 3


def test_a_dry_run_records_nothing():
    system = SystemFactory()
    recorded = deployments_record(
        rows=[{"system": system, "deployed_at": timezone.now(), "external_id": "x"}],
        dry_run=True,
    )
    assert [created for _deployment, created in recorded] == [True]
    assert not Deployment.objects.exists()


def test_admin_lists_and_searches_deployments(client, superuser):
    DeploymentFactory(ref="abc123", system=SystemFactory(name="ledger"))
    DeploymentFactory(ref="zzz999")
    client.force_login(superuser)
    response = client.get(reverse("admin:incidents_deployment_changelist"), {"q": "abc123"})
    assert [d.ref for d in response.context["cl"].result_list] == ["abc123"]
    response = client.get(
        reverse("admin:incidents_deployment_changelist"), {"environment": "production"}
    )
    assert response.status_code == 200


def test_the_incident_admin_sets_the_cause(client, responder):
    from tests.incidents.test_admin import _incident_form

    deployment = DeploymentFactory(deployed_at=timezone.now() - timedelta(hours=5))
    client.force_login(responder)
    response = client.post(
        reverse("admin:incidents_incident_add"), _incident_form(caused_by=str(deployment.pk))
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.caused_by == deployment
    assert incident.triggered_by_change
