"""/metrics against the real Prometheus tools (Debian's `prometheus` package): `promtool check
metrics` finds nothing wrong with it, and a real Prometheus on a free loopback port scrapes the
live server with the integration's bearer token (authorization.credentials) and reports the
target up."""

from __future__ import annotations

import subprocess

import pytest
from rest_framework.test import APIClient

from integrations.models import Integration
from tests.factories import IncidentFactory, NearMissFactory, SurpriseFactory, SystemFactory
from tests.integrations.real_servers import (
    PROMETHEUS,
    PROMTOOL,
    free_port,
    http_json,
    require,
    running,
    wait_until,
)

CONFIG = """
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: incident-tracker
    metrics_path: /metrics
    authorization:
      credentials: {token}
    static_configs:
      - targets: ["{target}"]
"""


def _prometheus_integration() -> str:
    integration = Integration(kind=Integration.Kind.PROMETHEUS, name="prometheus")
    token = integration.issue_token()
    integration.save()
    return token


def _some_record():
    system = SystemFactory(name="checkout")
    incident = IncidentFactory(systems=[system], is_private=True)
    SurpriseFactory(incident=incident, system=system)
    NearMissFactory(systems=[system])


@pytest.mark.django_db
def test_promtool_finds_nothing_wrong_with_the_metrics():
    promtool = require(PROMTOOL, "prometheus")
    _some_record()
    token = _prometheus_integration()
    response = APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=response.content,
        capture_output=True,
        timeout=30,
        check=False,
    )
    # promtool prints lint problems (and exits 3) for anything it dislikes.
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not checked.stdout.strip(), checked.stdout


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migration_data_back_after_the_module")
def test_a_real_prometheus_scrapes_the_metrics_with_the_bearer_token(live_server):
    binary = require(PROMETHEUS, "prometheus")
    _some_record()
    token = _prometheus_integration()
    port = free_port()
    target = live_server.url.removeprefix("http://")
    argv = [
        binary,
        "--config.file={config}",
        "--storage.tsdb.path={storage}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    query = f"http://127.0.0.1:{port}/api/v1/query?query="
    with running(
        argv, CONFIG.format(token=token, target=target), f"http://127.0.0.1:{port}/-/ready"
    ):

        def up():
            result = http_json(query + 'up{job="incident-tracker"}')["data"]["result"]
            return result and result[0]["value"][1]

        assert wait_until(up, "Prometheus to scrape the live server") == "1"
        near_misses = http_json(query + "incident_tracker_near_misses")["data"]["result"]
        assert near_misses[0]["value"][1] == "1"
        targets = http_json(f"http://127.0.0.1:{port}/api/v1/targets")["data"]["activeTargets"]
        assert [t["health"] for t in targets] == ["up"]
