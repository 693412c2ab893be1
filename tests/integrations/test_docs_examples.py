"""The example configurations in docs/integrations/ are what Alertmanager and Prometheus
accept (their own checkers), and the Grafana dashboard asks only for metrics /metrics serves."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from integrations.models import Integration
from tests.integrations.real_servers import ALERTMANAGER, PROMTOOL, require

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations"


def _check(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alertmanager_example_is_a_valid_alertmanager_config():
    require(ALERTMANAGER, "prometheus-alertmanager")
    _check(["/usr/bin/amtool", "check-config", str(DOCS / "alertmanager.yml")])


def test_the_prometheus_example_is_a_valid_prometheus_config():
    promtool = require(PROMTOOL, "prometheus")
    # --syntax-only: the token file it names is on the reader's Prometheus, not here.
    _check([promtool, "check", "config", "--syntax-only", str(DOCS / "prometheus.yml")])


@pytest.mark.django_db
def test_the_grafana_dashboard_asks_only_for_served_metrics():
    integration = Integration(kind=Integration.Kind.PROMETHEUS, name="prometheus")
    token = integration.issue_token()
    integration.save()
    served = set(
        re.findall(
            r"^# TYPE (\w+) ",
            APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode(),
            re.MULTILINE,
        )
    )
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"incident_tracker_\w+", target["expr"])
    }
    assert asked
    assert asked <= served, asked - served
