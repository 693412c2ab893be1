"""/metrics: Prometheus' text format for a Prometheus integration's token only, computed in a
fixed number of queries, with bounded system labels; private incidents counted, not named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from dashboards.selectors import totals as totals_module
from incidents.models import Incident
from integrations.models import Integration
from reviews.models import ActionItem, Review
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
)

pytestmark = pytest.mark.django_db


def _token(kind=Integration.Kind.PROMETHEUS) -> str:
    integration = Integration(kind=kind, name=f"{kind} integration")
    token = integration.issue_token()
    integration.save()
    return token


def _scrape(token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return APIClient().get("/metrics", **headers)


def _samples(text: str) -> dict[tuple, float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.parametrize("kind", [None, "wrong", Integration.Kind.ALERTMANAGER])
def test_without_a_prometheus_integrations_token_it_is_a_401(kind):
    token = {None: None, "wrong": "not-a-token"}[kind] if kind in (None, "wrong") else _token(kind)
    response = _scrape(token)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.fixture
def record(db):
    ledger = SystemFactory(name="Ledger")
    public = IncidentFactory(severity="SEV1", status=Incident.Status.RESOLVED, systems=[ledger])
    secret = IncidentFactory(
        is_private=True,
        title="Zqsecret breach of the vault",
        severity="SEV1",
        status=Incident.Status.RESOLVED,
        systems=[ledger],
    )
    SurpriseFactory(incident=secret, system=ledger)
    SurpriseFactory(incident=public, system=None)
    DifficultyFactory(incident=secret, system=ledger, category="tooling")
    OwnershipGapFactory(incident=public, kind="no_owner")
    OwnershipGapFactory(incident=public, kind="no_owner", resolved=True)
    review = ReviewFactory(
        incident=public, status=Review.Status.PUBLISHED, published_at=timezone.now()
    )
    ActionItemFactory(review=review, owner_team=None)
    ActionItemFactory(review=review, due_date=timezone.localdate() - timedelta(days=1))
    ActionItemFactory(review=review, status=ActionItem.Status.DONE, owner_team=None)
    NearMissFactory(systems=[ledger])
    return secret


def test_the_metrics_count_everything_and_name_no_private_incident(record):
    response = _scrape(_token())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert "Zqsecret" not in text
    assert record.reference not in text
    samples = _samples(text)
    prefix = "incident_tracker_"
    assert samples[(prefix + "incidents", (("severity", "SEV1"), ("status", "resolved")))] == 2
    assert samples[(prefix + "incidents", (("severity", "SEV4"), ("status", "closed")))] == 0
    assert samples[(prefix + "near_misses", ())] == 1
    assert samples[(prefix + "surprises", ())] == 2
    assert samples[(prefix + "difficulties", (("category", "tooling"),))] == 1
    assert samples[(prefix + "ownership_gaps_open", (("kind", "no_owner"),))] == 1
    assert samples[(prefix + "follow_ups", (("status", "open"),))] == 2
    assert samples[(prefix + "follow_ups", (("status", "done"),))] == 1
    assert samples[(prefix + "follow_ups_overdue", ())] == 1
    assert samples[(prefix + "follow_ups_unowned", ())] == 1  # the done one no longer counts
    assert samples[(prefix + "reviews", (("status", "published"),))] == 1
    assert samples[(prefix + "system_incidents", (("system", "ledger"),))] == 2
    assert samples[(prefix + "system_surprises", (("system", "ledger"),))] == 1
    assert samples[(prefix + "system_surprises", (("system", ""),))] == 1
    assert samples[(prefix + "system_near_misses", (("system", "ledger"),))] == 1


def test_the_scrape_runs_a_fixed_number_of_queries(record, django_assert_num_queries):
    token = _token()
    with django_assert_num_queries(10):  # the token, then the nine of current_totals
        assert _scrape(token).status_code == 200
    for number in range(5):
        system = SystemFactory(name=f"system {number}")
        incident = IncidentFactory(systems=[system])
        SurpriseFactory(incident=incident, system=system)
        DifficultyFactory(incident=incident, system=system)
    with django_assert_num_queries(10):
        assert _scrape(token).status_code == 200


def test_system_labels_are_bounded_the_rest_summed_as_other(record, monkeypatch):
    monkeypatch.setattr(totals_module, "SYSTEMS_LIMIT", 2)
    monkeypatch.setattr(totals_module.current_totals, "__kwdefaults__", {"systems_limit": 2})
    for number in range(4):
        IncidentFactory(systems=[SystemFactory(name=f"minor {number}")])
    samples = _samples(_scrape(_token()).content.decode())
    systems = {
        dict(labels)["system"]: value
        for (name, labels), value in samples.items()
        if name == "incident_tracker_system_incidents"
    }
    assert set(systems) == {"ledger", "minor-0", "(other)", ""}  # "": signals naming none
    assert systems["ledger"] == 2
    assert systems["(other)"] == 3
