"""End to end with a real Alertmanager (Debian's prometheus-alertmanager) on a free loopback
port, its webhook_configs pointing at the live server with the integration's bearer token:
an alert posted to Alertmanager's API v2 becomes an incident; Alertmanager's own repeats
change nothing; resolved, the incident is mitigated; posted again, no duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Incident, TimelineEntry
from integrations.models import Delivery, Integration
from tests.integrations.real_servers import (
    ALERTMANAGER,
    free_port,
    http_json,
    require,
    running,
    wait_until,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migration_data_back_after_the_module"),
]

# Short timings so the test takes seconds: a group is sent 1s after its first alert, again
# each second it changes, and repeated every 2s while it fires.
CONFIG = """
global:
  resolve_timeout: 5m
route:
  receiver: incidents
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: incidents
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            credentials: {token}
"""


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_a_real_alertmanager_opens_then_mitigates_one_incident(live_server):
    binary = require(ALERTMANAGER, "prometheus-alertmanager")
    integration = Integration(kind=Integration.Kind.ALERTMANAGER, name="real alertmanager")
    token = integration.issue_token()
    integration.save()
    port = free_port()
    config = CONFIG.format(url=f"{live_server.url}/api/v1/integrations/alertmanager/", token=token)
    argv = [
        binary,
        "--config.file={config}",
        "--storage.path={storage}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip port: a single, private instance
        "--log.level=warn",
    ]
    api = f"http://127.0.0.1:{port}/api/v2"
    with running(argv, config, f"http://127.0.0.1:{port}/-/ready"):
        started = datetime.now(UTC) - timedelta(minutes=1)
        alert = {
            "labels": {
                "alertname": "CheckoutErrors",
                "service": "checkout",
                "severity": "critical",
            },
            "annotations": {"summary": "5xx over 5% on checkout"},
            "startsAt": _time(started),
            "generatorURL": "http://prometheus.example.org/graph?g0.expr=errors",
        }
        http_json(f"{api}/alerts", data=[alert])

        incident = wait_until(lambda: Incident.objects.first(), "the incident")
        assert incident.source == Incident.Source.ALERTMANAGER
        assert incident.severity == "SEV1"
        assert incident.status == Incident.Status.INVESTIGATING
        assert list(incident.systems.values_list("name", flat=True)) == ["checkout"]
        assert abs(incident.started_at - started) < timedelta(seconds=1)
        # Alertmanager repeats the firing group (repeat_interval): nothing new.
        wait_until(lambda: Delivery.objects.count() >= 3, "Alertmanager's repeats")
        assert Incident.objects.count() == 1
        assert TimelineEntry.objects.count() == 1
        assert TimelineEntry.objects.get().evidence_url == alert["generatorURL"]

        ended = datetime.now(UTC)
        http_json(f"{api}/alerts", data=[{**alert, "endsAt": _time(ended)}])

        def mitigated():
            incident.refresh_from_db()
            return incident.status == Incident.Status.MITIGATED

        wait_until(mitigated, "the incident to be mitigated")
        assert abs(incident.mitigated_at - ended) < timedelta(seconds=1)

        # The same firing (same startsAt) sent again, a replay: Alertmanager notifies it as
        # firing anew, and nothing is duplicated or reopened.
        deliveries = Delivery.objects.count()
        http_json(f"{api}/alerts", data=[alert])
        wait_until(lambda: Delivery.objects.count() > deliveries, "the replay's delivery")
        assert Incident.objects.count() == 1
        assert TimelineEntry.objects.count() == 2  # fired, resolved
        incident.refresh_from_db()
        assert incident.status == Incident.Status.MITIGATED
        assert set(Delivery.objects.values_list("http_status", flat=True)) == {200}
