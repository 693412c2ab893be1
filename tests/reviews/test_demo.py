from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken

from dashboards import selectors
from dashboards.periods import DashboardFilters, Period
from dashboards.stats import FEWER, NO_CHANGE
from incidents.models import Deployment, Incident, NearMiss, OwnershipGap, Surprise, System
from reviews import demo
from reviews.demo.data import STOREFRONT as STOREFRONT_SYSTEM
from reviews.models import ActionItem, Review
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
STOREFRONT = STOREFRONT_SYSTEM[0]


def test_demo_fixture_loads_with_plain_loaddata():
    call_command("loaddata", str(FIXTURE), verbosity=0)
    # 150 drawn at random, and storefront-web's, placed along its story (changes.py).
    assert Incident.objects.exclude(systems__slug=STOREFRONT).count() == 150
    assert Incident.objects.filter(systems__slug=STOREFRONT).count() > 20
    assert System.objects.without_owner().exists()
    assert Deployment.objects.production().exists()
    assert Deployment.objects.exclude(environment="production").exists()
    assert Incident.objects.filter(caused_by__isnull=False).exists()
    assert Incident.objects.filter(triggered_by_change=True, caused_by__isnull=True).exists()
    assert not Deployment.objects.filter(system__slug="legacy-cron").exists()


@pytest.mark.parametrize("days_into_the_quarter", [0, 30, 60, 91])
def test_storefront_fails_more_often_but_less_per_change_in_any_recent_quarter(
    days_into_the_quarter,
):
    """The demo's story for DOMAIN.md's "Exposure": whichever day load_demo moves the anchor
    to, the last full quarter shows more storefront-web incidents than the one before, and
    fewer per 100 deployments."""
    call_command("loaddata", str(FIXTURE), verbosity=0)
    admin = get_user_model().objects.get(username="admin")
    end = demo.ANCHOR.date() - timedelta(days=days_into_the_quarter)
    period = Period.custom(end - timedelta(days=91), end)
    (row,) = selectors.system_rows(
        user=admin, period=period, filters=DashboardFilters(system=STOREFRONT)
    )
    assert row.incidents > row.incidents_previous
    assert row.changes.deployments > 2 * row.changes.deployments_previous
    assert (
        row.changes.per_100_deployments.estimate < row.changes.per_100_deployments_previous.estimate
    )
    assert "incidents" not in row.high_on  # top by count, not by rate per change


def test_storefront_deploys_five_times_as_often_and_fails_fewer_times_per_change():
    call_command("loaddata", str(FIXTURE), verbosity=0)
    admin = get_user_model().objects.get(username="admin")
    end = demo.ANCHOR.date()
    half_year = Period.custom(end - timedelta(days=182), end)
    (row,) = selectors.system_rows(
        user=admin, period=half_year, filters=DashboardFilters(system=STOREFRONT)
    )
    assert 4.5 < row.changes.deployments / row.changes.deployments_previous < 5.5
    assert row.incidents > row.incidents_previous
    assert row.change.verdict == NO_CHANGE  # per day: can't tell
    assert row.changes.change.verdict == FEWER  # per change: fewer


def test_load_demo_moves_the_data_to_end_recently_and_is_idempotent(capsys):
    call_command("load_demo")
    latest = Incident.objects.order_by("-started_at").first().started_at
    assert timezone.now() - latest < timedelta(days=10)
    earliest = Incident.objects.order_by("started_at").first().started_at
    assert timedelta(days=500) < timezone.now() - earliest < timedelta(days=560)

    loaded = Incident.objects.count()
    call_command("load_demo")
    assert Incident.objects.count() == loaded
    output = capsys.readouterr().out
    assert "keeping the data" in output
    assert "facilitator-demo-pass" in output
    assert (
        get_user_model().objects.get(username="facilitator").check_password("facilitator-demo-pass")
    )


def test_running_load_demo_again_keeps_the_demo_accounts_api_tokens():
    IncidentFactory()  # data already there: load_demo only sets up the accounts
    call_command("load_demo", stdout=StringIO())
    instance, _plain = AuthToken.objects.create(
        user=get_user_model().objects.get(username="facilitator")
    )
    call_command("load_demo", stdout=StringIO())
    assert AuthToken.objects.filter(pk=instance.pk).exists()


def test_demo_data_covers_every_signal_and_review_state():
    call_command("load_demo", verbosity=0)
    assert NearMiss.objects.filter(reported_by__isnull=True).exists()
    assert NearMiss.objects.filter(reported_by__isnull=False).exists()
    assert Surprise.objects.count() > 100
    assert OwnershipGap.objects.filter(kind=OwnershipGap.Kind.NO_OWNER).exists()
    assert set(Review.objects.values_list("status", flat=True)) == set(Review.Status.values)
    assert ActionItem.objects.overdue().exists()
    assert ActionItem.objects.unowned().exists()
    assert Incident.objects.filter(is_private=True).exists()
    assert set(Incident.objects.values_list("severity", flat=True)) == {
        "SEV1",
        "SEV2",
        "SEV3",
        "SEV4",
    }


# Run in a fresh interpreter on a fresh SQLite file: the test process itself imports the
# factories, and a fresh database gives the primary keys the committed fixture has.
DEV_TOOLS_PROBE = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command(*sys.argv[1:], verbosity=0)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"factory", "faker", "tests"})))
"""


def _run_on_a_fresh_database(tmp_path: Path, *command: str) -> list[str]:
    """Run a management command on a new SQLite database; the dev-tool modules it imported."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", DEV_TOOLS_PROBE, *command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_load_demo_needs_no_dev_tools(tmp_path):
    assert _run_on_a_fresh_database(tmp_path, "load_demo") == []


def test_generate_demo_rebuilds_the_committed_fixture_byte_for_byte_without_dev_tools(tmp_path):
    output = tmp_path / "demo.json"
    assert _run_on_a_fresh_database(tmp_path, "generate_demo", "--output", str(output)) == []
    assert output.read_bytes() == FIXTURE.read_bytes()
