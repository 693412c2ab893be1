"""A status that says a moment has passed needs that moment: resolved and closed incidents
their resolved time, mitigated ones their mitigated time. Otherwise the time-to-resolve
figures silently leave them out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from tests.incidents.test_admin import _incident_form

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.mark.parametrize(
    ("status", "field", "message"),
    [
        ("resolved", "resolved_at", "A resolved incident needs the time it was resolved."),
        ("closed", "resolved_at", "A closed incident needs the time it was resolved."),
        ("mitigated", "mitigated_at", "A mitigated incident needs the time it was mitigated."),
    ],
)
def test_a_status_without_its_moment_is_a_field_error(status, field, message):
    incident = Incident(title="Checkout down", started_at=NOW, status=status)
    with pytest.raises(ValidationError) as error:
        incident.full_clean()
    assert error.value.message_dict == {field: [message]}


@pytest.mark.parametrize(
    ("status", "times"),
    [
        ("investigating", {}),
        ("mitigated", {"mitigated_at": NOW + timedelta(minutes=30)}),
        # The fix can be the mitigation: resolving needs no separate mitigated time.
        ("resolved", {"resolved_at": NOW + timedelta(hours=1)}),
        ("closed", {"resolved_at": NOW + timedelta(hours=1)}),
    ],
)
def test_a_status_with_its_moment_is_valid(status, times):
    Incident(title="Checkout down", started_at=NOW, status=status, **times).full_clean()


def test_the_admin_shows_a_missing_resolved_time_at_the_field_and_saves_nothing(
    client, responder
):
    client.force_login(responder)
    response = client.post(
        reverse("admin:incidents_incident_add"),
        _incident_form(status="resolved", resolved_at_0="", resolved_at_1=""),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["resolved_at"] == [
        "A resolved incident needs the time it was resolved."
    ]
    assert not Incident.objects.exists()


def test_every_demo_incident_keeps_the_rule():
    call_command("loaddata", str(settings.BASE_DIR / "fixtures" / "demo.json"), verbosity=0)
    incidents = list(Incident.objects.all())
    assert {incident.status for incident in incidents} >= {"resolved", "closed"}
    for incident in incidents:
        incident.full_clean(validate_unique=False, validate_constraints=False)
