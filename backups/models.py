"""The record of each backup taken and of each verification by a restore.

The snapshot files live outside the database (BACKUP_DIR); these rows say which files exist,
what they held and whether a restore of them was checked, so the dashboard and /readyz can
tell how old the last good backup is.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from backups.dump import Snapshot


class BackupRunQuerySet(models.QuerySet):
    def latest_first(self):
        return self.order_by("-taken_at", "-pk")

    def verified(self):
        """Backups that a restore into a scratch database reproduced."""
        return self.filter(verify_ok=True)


class BackupRun(models.Model):
    taken_at = models.DateTimeField(db_index=True)
    path = models.CharField(max_length=1024)
    size = models.PositiveBigIntegerField(help_text="Bytes, compressed.")
    sha256 = models.CharField(max_length=64)
    format_version = models.PositiveSmallIntegerField()
    row_counts = models.JSONField(default=dict, help_text="Table name to rows in the snapshot.")
    verified_at = models.DateTimeField(null=True, blank=True)
    # None until a verification ran: "not checked" is not the same as "checked and wrong".
    verify_ok = models.BooleanField(null=True)
    detail = models.TextField(blank=True)

    objects = BackupRunQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-pk"]

    def __str__(self) -> str:
        return f"backup of {self.taken_at:%Y-%m-%d %H:%M} UTC"

    @classmethod
    def record(cls, snapshot: Snapshot) -> BackupRun:
        manifest = snapshot.manifest
        return cls.objects.create(
            taken_at=datetime.fromisoformat(manifest["created_at"]),
            path=str(snapshot.path.resolve()),
            size=snapshot.size,
            sha256=snapshot.sha256,
            format_version=manifest["format_version"],
            row_counts=manifest["tables"],
        )

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())

    def record_verification(self, *, ok: bool, detail: str) -> None:
        self.verified_at = timezone.now()
        self.verify_ok = ok
        self.detail = detail
        self.save(update_fields=["verified_at", "verify_ok", "detail"])
