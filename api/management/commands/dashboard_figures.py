"""`manage.py dashboard_figures [--as-of YYYY-MM-DD]`: this database's schema, rows per
table and every dashboard figure, as one JSON object.

A backup's verification runs it against the restored copy (api/backup_checks.py); run by
hand with two DATABASE_URLs, it compares any two databases.
"""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from api.backup_checks import database_figures
from incidents.days import utc_today


class Command(BaseCommand):
    help = "Print every dashboard figure, the rows per table and the migrations, as JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", help="The day the figures are counted as of (default: today, UTC)."
        )

    def handle(self, *args, as_of, **options):
        try:
            day = date.fromisoformat(as_of) if as_of else utc_today()
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD).") from None
        self.stdout.write(json.dumps(database_figures(as_of=day), sort_keys=True))
