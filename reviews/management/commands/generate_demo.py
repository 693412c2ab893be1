"""Rebuild fixtures/demo.json from the demo generator (deterministic: fixed seed, fixed anchor).

Run it on an empty database, for example:
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 python manage.py generate_demo
`make demo-fixture` does exactly that.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents.models import Incident, Team
from reviews import demo

# What the fixture holds; history tables start empty at load time.
DUMPED_MODELS = [
    "auth.user",
    "incidents.team",
    "incidents.system",
    "incidents.deployment",
    "incidents.incident",
    "incidents.incidentsystem",
    "incidents.nearmiss",
    "incidents.surprise",
    "incidents.difficulty",
    "incidents.ownershipgap",
    "reviews.review",
    "incidents.timelineentry",
    "reviews.actionitem",
    "incidents.theme",
    "reviews.participant",
    "reviews.surveyresponse",
]


class Command(BaseCommand):
    help = "Generate the demo organisation into an empty database and write fixtures/demo.json."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "fixtures" / "demo.json")
        )
        parser.add_argument("--seed", type=int, default=demo.SEED)

    def handle(self, *args, output, seed, **options):
        if Incident.objects.exists() or Team.objects.exists():
            raise CommandError("The database is not empty; run this on a fresh database.")
        with transaction.atomic():
            demo.generate(seed=seed)
            demo.settle_record_times()
        call_command(
            "dumpdata",
            *DUMPED_MODELS,
            use_natural_foreign_keys=True,
            indent=1,
            output=output,
            verbosity=0,
        )
        self.stdout.write(
            f"Wrote {output}: {Incident.objects.count()} incidents, anchored at {demo.ANCHOR:%Y-%m-%d}."
        )
