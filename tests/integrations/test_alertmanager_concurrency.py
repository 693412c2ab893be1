"""Deliveries of one alert group arriving at the same moment (PostgreSQL): they apply one
after the other on the group's lock, so they open one incident, never two, and a firing
delivered twice at once is recorded once."""

from __future__ import annotations

from api.serializers.integrations import AlertmanagerNotificationSerializer
from incidents.models import Incident, TimelineEntry
from integrations.models import Integration
from integrations.services import alertmanager_notification_apply
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.integrations.conftest import alert, notification


def _apply(integration, payload):
    serializer = AlertmanagerNotificationSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    return lambda: (
        alertmanager_notification_apply(
            integration=integration, notification=serializer.notification()
        ).outcome
    )


@concurrent_test
def test_two_new_alerts_of_one_group_at_once_open_one_incident():
    integration = Integration.objects.create(kind="alertmanager", name="am")
    outcomes = at_the_same_moment(
        _apply(integration, notification(alert("f1"))),
        _apply(integration, notification(alert("f2", starts=1, service="cart"))),
    )
    assert sorted(outcome.result() for outcome in outcomes) == ["created", "updated"]
    incident = Incident.objects.get()
    assert incident.timeline.count() == 2
    assert incident.systems.count() == 2


@concurrent_test
def test_the_same_notification_twice_at_once_is_recorded_once():
    integration = Integration.objects.create(kind="alertmanager", name="am")
    payload = notification(alert("f1"), alert("f2", starts=1))
    outcomes = at_the_same_moment(_apply(integration, payload), _apply(integration, payload))
    assert sorted(outcome.result() for outcome in outcomes) == ["created", "unchanged"]
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 2
