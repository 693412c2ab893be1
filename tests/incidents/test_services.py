"""Incident services: the rules of a write live in the service, so every writer gets them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents.models import Incident
from incidents.services import incident_create, incident_create_or_get, incidents_import
from tests.factories import UserFactory

STARTED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _fields(**extra):
    return {"title": "Checkout down", "severity": "SEV2", "started_at": STARTED, **extra}


@pytest.mark.django_db
def test_whoever_logs_a_private_incident_without_a_lead_becomes_its_lead(responder):
    incident = incident_create(data=_fields(is_private=True), created_by=responder)
    assert incident.lead == responder
    assert Incident.objects.visible_to(responder).filter(pk=incident.pk).exists()


@pytest.mark.django_db
def test_a_named_lead_stays_and_a_public_incident_gets_none(responder):
    lead = UserFactory()
    named = incident_create(data=_fields(is_private=True, lead=lead), created_by=responder)
    public = incident_create(data=_fields(), created_by=responder)
    assert named.lead == lead
    assert public.lead is None


@pytest.mark.django_db
def test_create_or_get_returns_the_incident_already_holding_the_external_id(responder):
    first, created = incident_create_or_get(
        data=_fields(external_id="A-1", is_private=True), created_by=responder
    )
    again, created_again = incident_create_or_get(
        data=_fields(external_id="A-1"), created_by=UserFactory()
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert (first.source, first.lead) == (Incident.Source.API, responder)


@pytest.mark.django_db
def test_an_import_names_no_lead_and_a_dry_run_writes_nothing():
    row = _fields(source=Incident.Source.IMPORT, external_id="X-1", is_private=True)
    dry = incidents_import(rows=[row], dry_run=True)
    assert len(dry.created) == 1
    assert not Incident.objects.exists()
    incidents_import(rows=[row], dry_run=False)
    assert Incident.objects.get().lead is None
