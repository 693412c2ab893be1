"""Integrations as the receivers see them: one of each kind, with its token or secret, and
Alertmanager payloads built the way Alertmanager builds them (webhook payload version 4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from integrations.models import Integration

PAYLOADS = Path(__file__).parent / "payloads"
ZERO_TIME = "0001-01-01T00:00:00Z"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ALERTMANAGER_URL = "/api/v1/integrations/alertmanager/"


def example(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _time(value: datetime | None) -> str:
    return ZERO_TIME if value is None else value.isoformat().replace("+00:00", "Z")


def alert(
    fingerprint: str = "f1",
    *,
    starts: float = 0,
    ends: float | None = None,
    name: str = "HighErrorRate",
    service: str | None = "checkout",
    severity: str | None = "critical",
    url: str = "http://prometheus.example.org/graph?g0.expr=errors",
) -> dict:
    """One alert as Alertmanager writes it: resolved when it has an end."""
    labels = {"alertname": name}
    if service is not None:
        labels["service"] = service
    if severity is not None:
        labels["severity"] = severity
    return {
        "status": "firing" if ends is None else "resolved",
        "labels": labels,
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": _time(at(starts)),
        "endsAt": _time(None if ends is None else at(ends)),
        "generatorURL": url,
        "fingerprint": fingerprint,
    }


def notification(*alerts: dict, group: str = '{}:{alertname="HighErrorRate"}') -> dict:
    firing = any(each["status"] == "firing" for each in alerts)
    return {
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "incidents",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.org:9093",
        "alerts": list(alerts),
    }


@pytest.fixture
def alertmanager(db) -> tuple[Integration, str]:
    integration = Integration(kind=Integration.Kind.ALERTMANAGER, name="Prod Alertmanager")
    token = integration.issue_token()
    integration.save()
    return integration, token


@pytest.fixture
def post_notification(alertmanager):
    """Post a payload as the Alertmanager integration; the response."""
    _integration, token = alertmanager
    client = APIClient()

    def post(payload, *, token: str | None = token, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        return client.generic(
            "POST", ALERTMANAGER_URL, body, content_type="application/json", **headers, **extra
        )

    return post
