"""`manage.py backup [PATH] [--verify]`: a consistent, compressed snapshot of every table.

PATH defaults to a timestamped file in BACKUP_DIR. The backup is recorded (it shows on the
dashboard and in /readyz); with --verify it is also restored into a scratch database and
compared with what it recorded, and that result is recorded too. The exit status is 1 when
the backup or its verification fails, so cron or a Kubernetes CronJob reports it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from api.backup_checks import take_backup, verify_snapshot
from backups.scratch import ScratchError
from backups.snapshot import SUFFIX, SnapshotError


class Command(BaseCommand):
    help = "Write a snapshot of the whole database (and, with --verify, check that it restores)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help=f"File to write (it must not exist). Default: BACKUP_DIR/incidents-<UTC time>{SUFFIX}.",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Then restore it into a scratch database and compare every table and figure.",
        )

    def handle(self, *args, path, verify, **options):
        target = Path(path) if path else self._default_path()
        if target.exists():
            raise CommandError(f"{target} exists; a backup never overwrites a file.") from None
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a folder.") from None
        try:
            run = take_backup(target)
        except (OSError, SnapshotError, DatabaseError) as error:
            raise CommandError(
                f"The backup failed; nothing was written to {target}: {error}"
            ) from None
        self.stdout.write(
            f"Backup written: {target} ({run.size} bytes, {len(run.row_counts)} tables, "
            f"{run.rows} rows; sha256 {run.sha256})."
        )
        if not verify:
            return
        try:
            verification = verify_snapshot(target)
        except (SnapshotError, ScratchError) as error:
            run.record_verification(ok=False, detail=str(error))
            raise CommandError(f"Verification failed: {error}") from None
        run.record_verification(ok=verification.ok, detail=verification.detail)
        if not verification.ok:
            raise CommandError(f"Verification failed: {verification.detail}") from None
        self.stdout.write(f"Verified: {verification.detail}")

    def _default_path(self) -> Path:
        folder = Path(settings.BACKUP_DIR)
        try:
            # Owner only: the files hold password hashes and every private incident.
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(
                f"Cannot create BACKUP_DIR {folder} ({error.strerror or error}); set "
                "BACKUP_DIR to a writable folder (a mounted volume in a container)."
            ) from None
        return folder / f"incidents-{timezone.now():%Y%m%dT%H%M%SZ}{SUFFIX}"
