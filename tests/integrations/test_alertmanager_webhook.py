"""The Alertmanager receiver over HTTP: only an active integration's bearer token gets in; a
malformed payload is a 400 that says what is wrong, an oversized one a 413, and neither
stores any incident data (the delivery log records the refusal)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident, System, TimelineEntry
from integrations.models import Delivery, Integration
from tests.integrations.conftest import alert, example, notification

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return not (
        Incident.objects.exists() or System.objects.exists() or TimelineEntry.objects.exists()
    )


@pytest.mark.parametrize(
    "header",
    [None, "Bearer not-a-token", "Token {token}", "Bearer", "Basic dXNlcjpwYXNz"],
)
def test_without_the_integrations_token_it_is_a_401_and_nothing_is_stored(
    post_notification, alertmanager, header
):
    _integration, token = alertmanager
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header.format(token=token)}
    response = post_notification(notification(alert()), token=None, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()
    assert _nothing_stored()
    assert not Delivery.objects.exists()


def test_an_inactive_integration_or_another_kinds_token_is_refused(post_notification, alertmanager):
    integration, token = alertmanager
    prometheus = Integration(kind=Integration.Kind.PROMETHEUS, name="scraper")
    scrape_token = prometheus.issue_token()
    prometheus.save()
    assert post_notification(notification(alert()), token=scrape_token).status_code == 401
    integration.is_active = False
    integration.save()
    assert post_notification(notification(alert()), token=token).status_code == 401
    assert _nothing_stored()


def _without(payload: dict, *path) -> dict:
    payload = json.loads(json.dumps(payload))
    target = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return payload


def _with(payload: dict, value, *path) -> dict:
    payload = json.loads(json.dumps(payload))
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


GOOD = example("alertmanager_probe_failure.json")
MALFORMED = {
    "not JSON": "{not json",
    "an array": "[]",
    "empty object": "{}",
    "version 3": _with(GOOD, "3", "version"),
    "no groupKey": _without(GOOD, "groupKey"),
    "no alerts": _with(GOOD, [], "alerts"),
    "alerts not a list": _with(GOOD, {"a": 1}, "alerts"),
    "unknown status": _with(GOOD, "pending", "alerts", 0, "status"),
    "labels not strings": _with(GOOD, {"severity": 3}, "alerts", 0, "labels"),
    "label values nested": _with(GOOD, {"a": {"b": "c"}}, "alerts", 0, "labels"),
    "bad startsAt": _with(GOOD, "yesterday", "alerts", 0, "startsAt"),
    "zero startsAt": _with(GOOD, "0001-01-01T00:00:00Z", "alerts", 0, "startsAt"),
    "startsAt at the calendar's edge": _with(
        GOOD, "0001-01-01T00:00:00+05:00", "alerts", 0, "startsAt"
    ),
    "resolved without endsAt": _with(GOOD, "resolved", "alerts", 0, "status"),
    "a NUL in a label": _with(GOOD, {"alertname": "a\x00b"}, "alerts", 0, "labels"),
    "a NUL in a label name": _with(GOOD, {"a\x00b": "x"}, "alerts", 0, "labels"),
    "too deep": "[" * 100 + "]" * 100,
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_payload_is_a_400_with_a_message_and_stores_nothing(
    post_notification, alertmanager, name
):
    response = post_notification(MALFORMED[name])
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert _nothing_stored()
    delivery = Delivery.objects.get()
    assert (delivery.integration, delivery.outcome, delivery.http_status) == (
        alertmanager[0],
        "rejected",
        400,
    )
    assert delivery.error


def test_the_version_is_named_in_the_message(post_notification):
    response = post_notification(_with(GOOD, "3", "version"))
    assert "version 4" in response.json()["detail"]


def test_a_resolved_alert_ending_before_it_starts_is_refused(post_notification):
    payload = notification(alert(ends=-5))
    response = post_notification(payload)
    assert response.status_code == 400
    assert "endsAt" in str(response.json()["fields"]["alerts"])


def test_a_body_that_is_not_json_is_a_415(post_notification, alertmanager):
    _integration, token = alertmanager
    response = APIClient().post(
        "/api/v1/integrations/alertmanager/",
        "a=b",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 415
    assert _nothing_stored()


def test_an_oversized_payload_is_a_413_and_stores_nothing(post_notification):
    payload = notification(*[alert(f"f{n}", starts=n) for n in range(3)])
    payload["commonAnnotations"] = {"description": "x" * (1024 * 1024)}
    response = post_notification(payload)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert _nothing_stored()
    assert Delivery.objects.get().http_status == 413


def test_the_answer_does_not_name_an_incident_made_private(post_notification):
    post_notification(notification(alert()))
    Incident.objects.update(is_private=True)
    response = post_notification(notification(alert(), alert("f2", starts=1)))
    assert response.json() == {"outcome": "updated", "incidents": []}
