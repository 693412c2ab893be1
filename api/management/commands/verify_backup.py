"""`manage.py verify_backup FILE`: does this snapshot restore, and to the same data?

It restores the file into a scratch database (a temporary file on SQLite; on PostgreSQL a
database it creates and drops, BACKUP_VERIFY_DATABASE) and compares every table's row count
and every dashboard figure with what the snapshot recorded when it was taken. The result is
recorded on the backup's record (found by path, or by checksum for a moved file). Exit
status 1 when it does not verify.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from api.backup_checks import Verification, verify_snapshot
from backups.dump import sha256
from backups.models import BackupRun
from backups.scratch import ScratchError
from backups.snapshot import SnapshotError


class Command(BaseCommand):
    help = "Restore a snapshot into a scratch database and compare it with what it recorded."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The snapshot file (.jsonl.gz).")

    def handle(self, *args, path, **options):
        file = Path(path)
        run = BackupRun.objects.filter(path=str(file.resolve())).latest_first().first()
        checksum = sha256(file) if file.is_file() else None
        if run is None and checksum is not None:
            run = BackupRun.objects.filter(sha256=checksum).latest_first().first()
        if run is not None and checksum != run.sha256:
            verification = Verification(
                False, "the file is not the one the backup wrote (missing, or its sha256 differs)."
            )
        else:
            try:
                verification = verify_snapshot(file)
            except SnapshotError as error:
                verification = Verification(False, f"{file}: {error}")
            except ScratchError as error:
                raise CommandError(f"Cannot verify {file}: {error}") from None
        if run is not None:
            run.record_verification(ok=verification.ok, detail=verification.detail)
        else:
            self.stderr.write(
                "Not recorded: the file is not one of this database's recorded backups."
            )
        if not verification.ok:
            raise CommandError(f"Verification failed: {verification.detail}") from None
        self.stdout.write(f"Verified: {verification.detail}")
