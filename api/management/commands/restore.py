"""`manage.py restore FILE [--replace]`: a snapshot into an empty database.

It migrates the empty database to the snapshot's own migrations, loads every row, and then
migrates forward to this code's, so a snapshot of an older release restores too (see
backups/restore.py). A database that holds data is refused unless --replace (or --force) is
given, which replaces everything in it. Any refusal or failure changes nothing: the restore
runs in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from backups.restore import RestoreRefused, restore_snapshot
from backups.snapshot import SnapshotError
from dashboards.rollups.refresh import rebuild as rebuild_rollups


class Command(BaseCommand):
    help = "Restore a snapshot written by `manage.py backup` into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The snapshot file (.jsonl.gz).")
        parser.add_argument(
            "--replace",
            "--force",
            action="store_true",
            dest="replace",
            help="Replace everything in a database that holds data (in one transaction).",
        )

    def handle(self, *args, path, replace, verbosity, **options):
        report = self.stdout.write if verbosity > 1 else lambda message: None
        try:
            restored = restore_snapshot(Path(path), replace=replace, report=report)
        except (SnapshotError, RestoreRefused) as error:
            raise CommandError(f"Nothing was restored from {path}: {error}") from None
        except DatabaseError as error:
            raise CommandError(
                f"The restore of {path} failed and was rolled back: {error}"
            ) from None
        manifest = restored.manifest
        # The monthly rollups and the review queue's stored cues are derived, so not in the
        # snapshot: computed from what arrived.
        months = rebuild_rollups()
        self.stdout.write(
            f"Restored {restored.rows} rows in {restored.tables} tables from {path} "
            f"(taken {manifest['created_at']}); {len(restored.migrated_forward)} newer "
            f"migration(s) applied since; {months} months of dashboard rollups and the review "
            "queue's cues rebuilt."
        )
