"""Is there a recent backup, and did a restore of it reproduce the data? For the dashboard
(superusers only) and the /readyz probe.

A stale backup is a warning, not an outage: /readyz stays 200 and carries the status as
extra fields, so a monitor can alert on it without the load balancer stopping traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from backups.models import BackupRun


@dataclass(frozen=True)
class BackupStatus:
    taken_at: datetime | None
    age: timedelta | None
    max_age: timedelta
    verified_at: datetime | None
    verified: bool | None  # None: no restore has checked the last backup (yet)
    verify_detail: str
    last_verified_taken_at: datetime | None

    @property
    def stale(self) -> bool:
        return self.age is None or self.age > self.max_age

    @property
    def warnings(self) -> list[str]:
        """What an operator should act on; none when all is well. They say nothing about the
        data (the verification's differences are in `verify_detail`)."""
        if self.taken_at is None:
            return ["No backup has been taken."]
        found = []
        if self.stale:
            found.append(
                f"The last backup is {_hours(self.age)} hours old "
                f"(more than {_hours(self.max_age)})."
            )
        if self.verified is False:
            found.append("Restoring the last backup did not reproduce the data.")
        elif self.verified is None:
            found.append("The last backup has not been verified by a restore.")
        return found

    def as_probe(self) -> dict:
        """The fields /readyz shows: times and flags only, never the file's path or the
        verification's differences, as the probe is public."""
        return {
            "last_taken_at": _iso(self.taken_at),
            "age_hours": None if self.age is None else round(self.age.total_seconds() / 3600, 1),
            "max_age_hours": _hours(self.max_age),
            "stale": self.stale,
            "verified": self.verified,
            "verified_at": _iso(self.verified_at),
            "last_verified_taken_at": _iso(self.last_verified_taken_at),
            "warnings": self.warnings,
        }


def backup_status(*, now: datetime | None = None) -> BackupStatus:
    """The last backup recorded and the last one a restore verified (2 queries)."""
    now = now or timezone.now()
    latest = BackupRun.objects.latest_first().first()
    last_verified = (
        BackupRun.objects.verified().latest_first().values_list("taken_at", flat=True).first()
    )
    return BackupStatus(
        taken_at=latest.taken_at if latest else None,
        age=now - latest.taken_at if latest else None,
        max_age=timedelta(hours=settings.BACKUP_MAX_AGE_HOURS),
        verified_at=latest.verified_at if latest else None,
        verified=latest.verify_ok if latest else None,
        verify_detail=latest.detail if latest else "",
        last_verified_taken_at=last_verified,
    )


def can_see_backup_status(user) -> bool:
    """Backups hold everything, private incidents included: their state is the
    administrators' business."""
    return user.is_superuser


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
