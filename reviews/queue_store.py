"""Computing the review queue's stored cues (`WaitingIncident`) from the records.

The dashboards' refresh calls this with the months writes marked, in the same transaction and
under the same lock as the rollups' cells (dashboards/rollups/refresh.py), so both stores are
current once the marks they read are cleared. Until then the queue computes its cues live
(`selectors.needs_review`): exactness never waits on this.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import F

from incidents.models import Incident
from reviews.models import WaitingIncident, waiting_for_review_q
from reviews.selectors import first_collaboration_ids, with_cue_inputs

# WaitingIncident's columns, each with what the live computation names it.
_COLUMNS = {
    "incident_id": "pk",
    "team_count": "team_count",
    "first_collaboration": "first_collaboration",
    "touches_unowned_system": "touches_unowned_system",
    "cue_count": "cue_count",
    "severity": "severity",
    "started_at": "started_at",
    "resolved_at": "resolved_at",
}


def compute(start: datetime | None = None, end: datetime | None = None) -> None:
    """Replace the rows of the incidents that started in [start, end) (every incident when
    both are None) with what the records say now, then bring every row's first-collaboration
    cue up to date: a write in one month can change which incident first brought a pair of
    teams together in a later one.

    The rows are written by one INSERT ... SELECT of the live computation, so a rebuild at a
    million incidents moves no row through Python.
    """
    first = first_collaboration_ids()
    rows, incidents = WaitingIncident.objects.all(), Incident.objects.all()
    if start is not None:
        rows = rows.filter(started_at__gte=start, started_at__lt=end)
        incidents = incidents.filter(started_at__gte=start, started_at__lt=end)
    rows.delete()
    live = with_cue_inputs(incidents.filter(waiting_for_review_q()), first_collaborations=first)
    select, params = live.order_by().values_list(*_COLUMNS.values()).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _COLUMNS)
    key = quote("incident_id")
    replace = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _COLUMNS if c != "incident_id")
    # An upsert, not a plain insert: an incident moved into [start, end) by a write that
    # committed after the DELETE above still has its row from its old month (that write marked
    # both months, so the next refresh recomputes them; meanwhile the queue is computed live).
    # `WHERE true`: SQLite's grammar needs a WHERE before ON CONFLICT in INSERT ... SELECT.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(WaitingIncident._meta.db_table)} ({columns}) "
            f"SELECT * FROM ({select}) AS live WHERE true "
            f"ON CONFLICT ({key}) DO UPDATE SET {replace}",
            params,
        )
    # The first collaborations outside [start, end): at most one row per pair of teams moves.
    WaitingIncident.objects.filter(pk__in=first, first_collaboration=False).update(
        first_collaboration=True, cue_count=F("cue_count") + 1
    )
    WaitingIncident.objects.filter(first_collaboration=True).exclude(pk__in=first).update(
        first_collaboration=False, cue_count=F("cue_count") - 1
    )


def differences() -> list[str]:
    """Every stored row against the live computation now, as lines naming the incident: for
    `manage.py rollups --check`. Meaningful only while no month is marked."""
    stored = {row[0]: row[1:] for row in WaitingIncident.objects.values_list(*_COLUMNS)}
    live = with_cue_inputs(
        Incident.objects.filter(waiting_for_review_q()),
        first_collaborations=first_collaboration_ids(),
    )
    counted = {row[0]: row[1:] for row in live.order_by().values_list(*_COLUMNS.values())}
    names = list(_COLUMNS)[1:]
    return [
        f"waiting incident {pk}: stored {_named(names, stored.get(pk))}, "
        f"records {_named(names, counted.get(pk))}"
        for pk in sorted(set(stored) | set(counted))
        if stored.get(pk) != counted.get(pk)
    ]


def _named(names: list[str], values: tuple | None) -> dict | None:
    return None if values is None else dict(zip(names, values, strict=True))
