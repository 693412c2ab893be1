"""PagerDuty v3 webhooks: only a body signed with a PagerDuty integration's secret gets in
(any of several `v1=` signatures, as during a secret rotation); triggered opens the incident,
resolved mitigates it, priority_updated sets its severity; each event id applies once, and
the latest event by occurred_at decides, whatever the order of arrival. Tested with the
payloads from PagerDuty's webhook documentation."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident, System, TimelineEntry
from integrations.models import Delivery, Integration
from tests.integrations.conftest import example

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/pagerduty/"
SECRET = "pd-webhook-secret-0123456789"
DOCUMENTED = example("pagerduty_priority_updated.json")


@pytest.fixture
def pagerduty(db):
    return Integration.objects.create(
        kind=Integration.Kind.PAGERDUTY, name="PagerDuty", signing_secret=SECRET
    )


def sign(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(payload, *, signature=None, secret: str = SECRET):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature is None:
        headers["HTTP_X_PAGERDUTY_SIGNATURE"] = sign(body, secret)
    elif signature:
        headers["HTTP_X_PAGERDUTY_SIGNATURE"] = signature
    return APIClient().generic("POST", URL, body, content_type="application/json", **headers)


def event(event_type: str, event_id: str, occurred_at: str, **data) -> dict:
    """The documented payload, as another event of the same incident."""
    payload = copy.deepcopy(DOCUMENTED)
    payload["event"].update(id=event_id, event_type=event_type, occurred_at=occurred_at)
    payload["event"]["data"].update(data)
    return payload


TRIGGERED = event("incident.triggered", "ev-1", "2020-04-09T15:16:27Z", priority=None)
ACKNOWLEDGED = event("incident.acknowledged", "ev-2", "2020-04-09T15:20:00Z", priority=None)
PRIORITY = DOCUMENTED  # 2020-10-02, priority P1
RESOLVED = event("incident.resolved", "ev-4", "2020-10-02T19:00:00Z", status="resolved")


def _nothing_stored():
    return not (Incident.objects.exists() or System.objects.exists())


def test_the_documented_priority_event_opens_the_incident_at_p1(pagerduty):
    response = deliver(DOCUMENTED)
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "created"
    incident = Incident.objects.get()
    assert (incident.source, incident.external_id) == ("pagerduty", "PGR0VU2")
    assert incident.title == "A little bump in the road"
    assert incident.severity == "SEV1"
    assert incident.status == Incident.Status.INVESTIGATING
    assert (
        incident.started_at == incident.detected_at == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)
    )
    assert list(incident.systems.values_list("name", flat=True)) == ["API Service"]
    assert System.objects.get().owner_team is None
    entry = TimelineEntry.objects.get()
    assert "priority changed to P1 by Tenex Engineer" in entry.text
    assert entry.evidence_url == "https://acme.pagerduty.com/incidents/PGR0VU2"


def test_triggered_then_resolved_detects_then_mitigates(pagerduty):
    deliver(TRIGGERED)
    incident = Incident.objects.get()
    assert incident.severity == "SEV2"  # no priority: urgency "high"
    deliver(RESOLVED)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.MITIGATED
    assert incident.mitigated_at == datetime(2020, 10, 2, 19, 0, tzinfo=UTC)
    assert incident.detected_at == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)
    incident.full_clean()


def test_a_redelivered_event_changes_nothing(pagerduty):
    assert deliver(TRIGGERED).json()["outcome"] == "created"
    for _ in range(2):
        assert deliver(TRIGGERED).json()["outcome"] == "unchanged"
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 1
    assert Delivery.objects.filter(incident__isnull=False).count() == 3


def _state():
    incident = Incident.objects.get()
    return (
        incident.status,
        incident.severity,
        incident.started_at,
        incident.mitigated_at,
        sorted(incident.timeline.values_list("at", "text")),
    )


@pytest.mark.parametrize(
    "order", list(itertools.permutations([TRIGGERED, ACKNOWLEDGED, PRIORITY, RESOLVED]))[::5]
)
def test_events_in_any_order_give_the_same_incident(pagerduty, order):
    for payload in [TRIGGERED, ACKNOWLEDGED, PRIORITY, RESOLVED]:
        deliver(payload)
    in_order = _state()
    Incident.objects.all().delete()
    for payload in [*order, order[0]]:  # and a redelivery
        assert deliver(payload).status_code == 200
    assert _state() == in_order
    assert in_order[:2] == (Incident.Status.MITIGATED, "SEV1")


def test_a_reopened_incident_is_investigated_again(pagerduty):
    deliver(TRIGGERED)
    deliver(RESOLVED)
    deliver(event("incident.reopened", "ev-5", "2020-10-03T08:00:00Z"))
    incident = Incident.objects.get()
    assert (incident.status, incident.mitigated_at) == (Incident.Status.INVESTIGATING, None)


def test_other_event_types_are_ignored(pagerduty):
    response = deliver(example("pagerduty_service_updated.json"))
    assert response.status_code == 200
    assert response.json() == {"outcome": "ignored", "incidents": []}
    assert _nothing_stored()
    assert Delivery.objects.get().outcome == "ignored"


def test_any_of_several_signatures_may_match_during_a_secret_rotation(pagerduty):
    body = json.dumps(TRIGGERED).encode()
    header = f"{sign(body, 'the-old-secret')},{sign(body)}"
    assert deliver(body, signature=header).status_code == 200
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "v1=" + "0" * 64,
        "v0=abc",
        "garbage",
        "v1=",
    ],
)
def test_a_missing_or_bad_signature_is_a_401_and_stores_nothing(pagerduty, signature):
    response = deliver(TRIGGERED, signature=signature)
    assert response.status_code == 401
    assert "detail" in response.json()
    assert _nothing_stored()
    assert not Delivery.objects.exists()


def test_a_signature_over_another_body_or_with_another_secret_is_refused(pagerduty):
    body = json.dumps(TRIGGERED).encode()
    assert deliver(body, signature=sign(body + b" ")).status_code == 401
    assert deliver(body, secret="another secret").status_code == 401
    pagerduty.is_active = False
    pagerduty.save()
    assert deliver(body).status_code == 401
    assert _nothing_stored()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"event": "x"},
        event("incident.triggered", "ev-9", "not a time"),
        event("incident.triggered", "ev-9", "2020-04-09T15:16:27Z", created_at=None),
        event("incident.triggered", "ev-9", "2020-04-09T15:16:27Z", type="service"),
        b"{not json",
    ],
)
def test_a_malformed_signed_payload_is_a_400_and_stores_nothing(pagerduty, payload):
    response = deliver(payload)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert _nothing_stored()
    assert Delivery.objects.get().outcome == "rejected"
