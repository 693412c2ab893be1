"""The integrations admin: a token is shown once and only its hash is kept; the change page
lists the last deliveries with their errors; deliveries about hidden incidents stay hidden."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from integrations.admin import RECENT_DELIVERIES
from integrations.models import Delivery, Integration, token_digest
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _add(admin_client, **fields):
    data = {
        "name": "Prod alerts",
        "kind": "alertmanager",
        "is_active": "on",
        "system_label": "service",
        "severity_label": "severity",
        "severity_mapping": "{}",
        "default_severity": "SEV3",
        "default_system": "",
        "incident_source": "",
        "signing_secret": "",
        **fields,
    }
    return admin_client.post(reverse("admin:integrations_integration_add"), data, follow=True)


def _shown_token(response) -> str:
    (token,) = [
        found[1]
        for message in response.context["messages"]
        if (found := re.search(r"<code>([^<]+)</code>", str(message)))
    ]
    return token


def test_a_new_integration_shows_its_token_once_and_keeps_only_its_hash(admin_client):
    response = _add(admin_client)
    token = _shown_token(response)
    integration = Integration.objects.get()
    assert integration.token_hash == token_digest(token)
    assert token not in str(integration.__dict__)
    assert Integration.objects.by_token(kind="alertmanager", token=token) == integration
    page = admin_client.get(reverse("admin:integrations_integration_change", args=[integration.pk]))
    assert token not in page.content.decode()


def test_issuing_a_new_token_revokes_the_old_one(admin_client):
    old = _shown_token(_add(admin_client))
    integration = Integration.objects.get()
    response = admin_client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "issue_new_token", "_selected_action": [integration.pk]},
        follow=True,
    )
    new = _shown_token(response)
    assert new != old
    assert Integration.objects.by_token(kind="alertmanager", token=old) is None
    assert Integration.objects.by_token(kind="alertmanager", token=new) == integration


def test_a_pagerduty_integration_needs_its_signing_secret_and_never_shows_it(admin_client):
    response = _add(admin_client, kind="pagerduty", name="PD")
    assert "signing_secret" in response.context["adminform"].form.errors
    response = _add(admin_client, kind="pagerduty", name="PD", signing_secret="pd-secret-123")
    integration = Integration.objects.get()
    assert integration.signing_secret == "pd-secret-123"
    assert integration.token_hash == ""
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    assert "pd-secret-123" not in admin_client.get(url).content.decode()
    # Saved again with the field left empty, the secret stays.
    response = _add(admin_client, kind="pagerduty", name="PD renamed")  # a second one: refused
    admin_client.post(
        url,
        {
            "name": "PD",
            "kind": "pagerduty",
            "is_active": "on",
            "system_label": "service",
            "severity_label": "severity",
            "severity_mapping": "{}",
            "default_severity": "SEV2",
            "signing_secret": "",
        },
    )
    integration.refresh_from_db()
    assert (integration.default_severity, integration.signing_secret) == ("SEV2", "pd-secret-123")


def test_a_severity_mapping_must_name_known_severities(admin_client):
    response = _add(admin_client, severity_mapping='{"critical": "SEV9"}')
    assert "severity_mapping" in response.context["adminform"].form.errors
    assert not Integration.objects.exists()


def test_the_list_shows_the_last_delivery_and_its_outcome(admin_client):
    integration = Integration.objects.create(kind="alertmanager", name="Prod alerts")
    Delivery.objects.create(integration=integration, outcome="created", http_status=201)
    Delivery.objects.create(
        integration=integration, outcome="rejected", http_status=400, error="no alerts"
    )
    page = admin_client.get(reverse("admin:integrations_integration_changelist")).content.decode()
    assert "Rejected (bad request)" in page
    assert "Incident opened" not in page


def test_the_change_page_lists_the_last_50_deliveries_with_their_errors(admin_client):
    integration = Integration.objects.create(kind="alertmanager", name="Prod alerts")
    for number in range(RECENT_DELIVERIES + 5):
        Delivery.objects.create(
            integration=integration,
            outcome="rejected",
            http_status=400,
            error=f"error number {number:03d}",
        )
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    page = admin_client.get(url).content.decode()
    shown = re.findall(r"error number (\d+)", page)
    assert len(shown) == RECENT_DELIVERIES
    assert "054" in shown
    assert "004" not in shown


def test_deliveries_about_a_hidden_incident_are_left_out(client, responder):
    responder.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="integrations")
    )
    client.force_login(responder)
    integration = Integration.objects.create(kind="alertmanager", name="Prod alerts")
    hidden = IncidentFactory(is_private=True, title="Secret breach")
    public = IncidentFactory(title="Slow checkout")
    Delivery.objects.create(
        integration=integration,
        outcome="created",
        http_status=201,
        incident=hidden,
        event_key='{}:{alertname="BreachDetected"}',
    )
    Delivery.objects.create(
        integration=integration,
        outcome="created",
        http_status=201,
        incident=public,
        event_key='{}:{alertname="SlowCheckout"}',
    )
    for url in [
        reverse("admin:integrations_delivery_changelist"),
        reverse("admin:integrations_integration_change", args=[integration.pk]),
    ]:
        page = client.get(url).content.decode()
        assert "SlowCheckout" in page
        assert "BreachDetected" not in page
        assert hidden.reference not in page
