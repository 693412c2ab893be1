from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Incident, NearMiss, OwnershipGap, Surprise, System
from reviews.models import ActionItem, Review

pytestmark = pytest.mark.django_db
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


def test_demo_fixture_loads_with_plain_loaddata():
    call_command("loaddata", str(FIXTURE), verbosity=0)
    assert Incident.objects.count() == 150
    assert System.objects.without_owner().exists()


def test_load_demo_moves_the_data_to_end_recently_and_is_idempotent(capsys):
    call_command("load_demo")
    latest = Incident.objects.order_by("-started_at").first().started_at
    assert timezone.now() - latest < timedelta(days=10)
    earliest = Incident.objects.order_by("started_at").first().started_at
    assert timedelta(days=500) < timezone.now() - earliest < timedelta(days=560)

    call_command("load_demo")
    assert Incident.objects.count() == 150
    output = capsys.readouterr().out
    assert "keeping the data" in output
    assert "facilitator-demo-pass" in output
    assert (
        get_user_model().objects.get(username="facilitator").check_password("facilitator-demo-pass")
    )


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
