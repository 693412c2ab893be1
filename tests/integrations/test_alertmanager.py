"""Alertmanager notifications become incidents: a group's overlapping firings are one
incident, repeats change nothing, resolving mitigates it at the alert's endsAt, and the same
firings give the same incidents in whatever order, and however often, they arrive."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from incidents.models import Incident, System, TimelineEntry
from integrations.models import Delivery, ReceivedAlert
from reviews.models import Review
from tests.factories import ReviewFactory, SystemFactory, TeamFactory
from tests.integrations.conftest import alert, at, example, notification

pytestmark = pytest.mark.django_db


def _state():
    """The incidents as comparable facts (not ids or references, which depend on order)."""
    return sorted(
        (
            incident.title,
            incident.status,
            incident.severity,
            incident.started_at,
            incident.detected_at,
            incident.mitigated_at,
            tuple(sorted(incident.systems.values_list("name", flat=True))),
            tuple(incident.timeline.values_list("at", "kind", "evidence_url")),
        )
        for incident in Incident.objects.all()
    )


def test_the_documented_example_opens_an_incident_with_a_timeline_entry(post_notification):
    response = post_notification(example("alertmanager_probe_failure.json"))
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "created"
    incident = Incident.objects.get()
    assert response.json()["incidents"] == [incident.reference]
    assert incident.title == "ProbeFailure"
    assert incident.source == Incident.Source.ALERTMANAGER
    assert incident.severity == "SEV1"  # severity="critical"
    assert incident.status == Incident.Status.INVESTIGATING
    assert incident.started_at == incident.detected_at
    assert incident.started_at.isoformat() == "2023-02-06T13:08:45.828000+00:00"
    assert "BlackBox Probe Failure" in incident.summary
    (entry,) = incident.timeline.all()
    assert entry.kind == TimelineEntry.Kind.DETECTION
    assert entry.evidence_url.startswith("http://prometheus.example.org:9090/graph?g0.expr=")
    assert "ProbeFailure firing" in entry.text
    # No service label and no default system: no system named, none invented.
    assert not incident.systems.exists()
    assert not System.objects.exists()


def test_a_repeat_of_the_same_notification_changes_nothing(post_notification):
    payload = notification(alert("f1"), alert("f2", starts=2))
    assert post_notification(payload).json()["outcome"] == "created"
    before = _state()
    for _ in range(3):
        response = post_notification(payload)
        assert response.json()["outcome"] == "unchanged"
    assert _state() == before
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 2
    assert list(Delivery.objects.values_list("outcome", flat=True)) == [
        "unchanged",
        "unchanged",
        "unchanged",
        "created",
    ]
    assert Delivery.objects.filter(incident=Incident.objects.get()).count() == 4


def test_a_new_alert_of_the_group_joins_its_open_incident(post_notification):
    post_notification(notification(alert("f1")))
    response = post_notification(notification(alert("f1"), alert("f2", starts=5, service="cart")))
    assert response.json()["outcome"] == "updated"
    incident = Incident.objects.get()
    assert incident.timeline.count() == 2
    assert sorted(incident.systems.values_list("name", flat=True)) == ["cart", "checkout"]


def test_a_resolved_notification_mitigates_the_incident_at_the_alerts_end(post_notification):
    post_notification(notification(alert("f1"), alert("f2", starts=3)))
    post_notification(notification(alert("f1", ends=20), alert("f2", starts=3)))
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.INVESTIGATING  # f2 still fires
    post_notification(notification(alert("f1", ends=20), alert("f2", starts=3, ends=25)))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.MITIGATED
    assert incident.mitigated_at == at(25)
    kinds = list(incident.timeline.values_list("kind", "at"))
    assert kinds == [
        (TimelineEntry.Kind.DETECTION, at(0)),
        (TimelineEntry.Kind.DETECTION, at(3)),
        (TimelineEntry.Kind.KEY_MOMENT, at(20)),
        (TimelineEntry.Kind.KEY_MOMENT, at(25)),
    ]
    incident.full_clean()  # its times are in order


def test_a_refire_after_resolve_opens_a_new_incident(post_notification):
    post_notification(notification(alert("f1")))
    post_notification(notification(alert("f1", ends=10)))
    response = post_notification(notification(alert("f1", starts=60)))
    assert response.json()["outcome"] == "created"
    first, second = Incident.objects.order_by("started_at")
    assert (first.status, first.mitigated_at) == (Incident.Status.MITIGATED, at(10))
    assert (second.status, second.started_at) == (Incident.Status.INVESTIGATING, at(60))
    assert first.external_id != second.external_id


def test_the_same_firing_sent_again_an_hour_later_is_the_same_incident(post_notification):
    # repeat_interval: Alertmanager sends a still-firing group again, with the same startsAt.
    post_notification(notification(alert("f1")))
    post_notification(notification(alert("f1")), HTTP_X_SENT_AT="an hour later")
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 1


# Deliveries of one group: two alerts fire, both resolve, one fires again after; then
# everything is replayed. Every order of them must give the same incidents.
_DELIVERIES = [
    notification(alert("f1")),
    notification(alert("f1"), alert("f2", starts=4)),
    notification(alert("f1", ends=15), alert("f2", starts=4)),
    notification(alert("f1", ends=15), alert("f2", starts=4, ends=18)),
    notification(alert("f1", starts=90)),
    notification(alert("f1", starts=90, ends=95)),
]


@pytest.fixture
def in_order_state(post_notification):
    for payload in _DELIVERIES:
        assert post_notification(payload).status_code == 200
    state = _state()
    Incident.objects.all().delete()
    return state


@pytest.mark.parametrize(
    "order",
    [
        (5, 4, 3, 2, 1, 0),  # all reversed: resolved before firing
        (3, 0, 5, 1, 4, 2),
        (2, 2, 0, 5, 5, 1, 4, 3, 0),  # with replays
        (1, 3, 4, 0, 2, 5, 3, 1, 5),
    ],
)
def test_late_out_of_order_and_replayed_deliveries_give_the_same_incidents(
    post_notification, in_order_state, order
):
    assert len(in_order_state) == 2
    for index in order:
        assert post_notification(_DELIVERIES[index]).status_code == 200
    assert _state() == in_order_state


def test_every_order_of_a_firing_and_its_resolution_gives_one_mitigated_incident(
    post_notification,
):
    for first, second in itertools.permutations(
        [notification(alert("f1")), notification(alert("f1", ends=12))]
    ):
        Incident.objects.all().delete()
        post_notification(first)
        post_notification(second)
        incident = Incident.objects.get()
        assert (incident.status, incident.mitigated_at) == (Incident.Status.MITIGATED, at(12))
        assert incident.timeline.count() == 2


def test_an_unknown_system_is_created_without_an_owner_and_a_known_one_is_reused(
    post_notification,
):
    owned = SystemFactory(name="Checkout", owner_team=TeamFactory(name="Payments"))
    post_notification(
        notification(alert("f1", service="checkout"), alert("f2", service="ledger-db"))
    )
    incident = Incident.objects.get()
    assert set(incident.systems.all()) == {owned, System.objects.get(name="ledger-db")}
    assert System.objects.get(name="ledger-db").owner_team is None
    assert System.objects.count() == 2


def test_the_system_label_and_the_severity_mapping_are_the_integrations(
    alertmanager, post_notification
):
    integration, _token = alertmanager
    integration.system_label = "app"
    integration.severity_mapping = {"warning": "SEV2"}
    integration.default_system = "unlabelled"
    integration.save()
    payload = notification(alert("f1", service=None, severity="warning"))
    payload["alerts"][0]["labels"]["app"] = "search"
    payload["alerts"].append(alert("f2", starts=1, service=None, severity="page"))
    post_notification(payload)
    incident = Incident.objects.get()
    assert incident.severity == "SEV2"  # "page" is not in this mapping: the default, SEV3
    assert sorted(incident.systems.values_list("name", flat=True)) == ["search", "unlabelled"]


def test_the_severity_rises_to_the_most_severe_alert(post_notification):
    post_notification(notification(alert("f1", severity="warning")))
    assert Incident.objects.get().severity == "SEV3"
    post_notification(notification(alert("f1", severity="warning"), alert("f2", starts=1)))
    assert Incident.objects.get().severity == "SEV1"


def test_a_generator_url_too_long_for_a_link_is_kept_whole_in_the_text(post_notification):
    url = "http://prometheus.example.org/graph?g0.expr=" + "x" * 400
    post_notification(notification(alert("f1", url=url)))
    entry = TimelineEntry.objects.get()
    assert entry.evidence_url == ""
    assert url in entry.text


def test_an_incident_resolved_by_hand_takes_no_new_firings(post_notification):
    post_notification(notification(alert("f1")))
    incident = Incident.objects.get()
    incident.status, incident.resolved_at = Incident.Status.RESOLVED, at(30)
    incident.save()
    post_notification(notification(alert("f1"), alert("f2", starts=5)))
    assert Incident.objects.count() == 2
    incident.refresh_from_db()
    assert (incident.status, incident.timeline.count()) == (Incident.Status.RESOLVED, 1)


def test_an_incident_frozen_by_a_published_review_is_left_as_it_was(post_notification):
    post_notification(notification(alert("f1")))
    incident = Incident.objects.get()
    ReviewFactory(incident=incident, status=Review.Status.PUBLISHED, published_at=timezone.now())
    before = _state()
    post_notification(notification(alert("f1", ends=10), alert("f2", starts=5)))
    after = [row for row in _state() if row[3] == incident.started_at]
    assert after == before  # no status change, no timeline entry
    assert Incident.objects.count() == 2  # f2 opened a new one
    assert ReceivedAlert.objects.get(fingerprint="f1").ends_at == at(10)
