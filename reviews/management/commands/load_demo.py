"""Load fixtures/demo.json with its dates moved to "now", and set up the demo accounts.

Idempotent: when incidents already exist the data is kept as it is; the demo accounts
are (re)created and their passwords printed either way.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import models, transaction

from incidents.days import utc_midnight, utc_today
from incidents.models import Incident
from incidents.roles import FACILITATORS, RESPONDERS
from reviews import demo

# username, password, groups, staff, superuser, what the account is for
DEMO_ACCOUNTS = [
    ("admin", "admin-demo-pass", [], True, True, "superuser: everything, including the admin"),
    (
        "facilitator",
        "facilitator-demo-pass",
        [FACILITATORS],
        True,
        False,
        "runs and publishes reviews",
    ),
    (
        "responder",
        "responder-demo-pass",
        [RESPONDERS],
        True,
        False,
        "logs incidents, adds what they saw",
    ),
    ("reader", "reader-demo-pass", [], False, False, "reads everything that is not private"),
]


def shift_fixture(objects: list[dict], delta: timedelta) -> list[dict]:
    """Move every date and datetime field of the serialized objects by delta."""
    for item in objects:
        model = apps.get_model(item["model"])
        for field in model._meta.concrete_fields:
            value = item["fields"].get(field.name)
            if value is None:
                continue
            if isinstance(field, models.DateTimeField):
                moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
                item["fields"][field.name] = moved.isoformat()
            elif isinstance(field, models.DateField):
                item["fields"][field.name] = (date.fromisoformat(value) + delta).isoformat()
    return objects


class Command(BaseCommand):
    help = "Load the demo data (dates shifted to end yesterday) and create the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "demo.json")
        )

    def handle(self, *args, fixture, **options):
        if Incident.objects.exists():
            self.stdout.write("Demo data already loaded; keeping the data as it is.")
        else:
            self._load(Path(fixture))
        self._accounts()

    def _load(self, fixture: Path) -> None:
        delta = utc_midnight(utc_today()) - demo.ANCHOR
        objects = shift_fixture(json.loads(fixture.read_text()), delta)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as shifted:
            json.dump(objects, shifted)
        try:
            with transaction.atomic():
                call_command("loaddata", shifted.name, verbosity=0)
        finally:
            Path(shifted.name).unlink()
        self.stdout.write(
            f"Loaded {Incident.objects.count()} incidents, dates moved {delta.days} days forward."
        )

    def _accounts(self) -> None:
        User = get_user_model()
        self.stdout.write("\nDemo accounts (log in at http://127.0.0.1:8000/):")
        for username, password, groups, staff, superuser, purpose in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff, user.is_superuser = staff, superuser
            if not user.check_password(password):
                # Only when it differs: a new password revokes the account's API tokens, and
                # running this again is meant to keep what people made with the demo.
                user.set_password(password)
            user.save()
            user.groups.add(*Group.objects.filter(name__in=groups))
            self.stdout.write(f"  {username:<12} {password:<24} {purpose}")
