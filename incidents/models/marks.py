"""Months a write touched: what keeps the figures derived from the records exact.

Two stores are computed from the records and read instead of them: the dashboards' monthly
rollups (dashboards/rollups/) and the review queue's cues (`reviews.WaitingIncident`). Both
are exact only for months no write has touched since. Database triggers
(dashboards/rollups/triggers.py) append the month of every counted row a write touches, in the
writing transaction, whatever the path; readers skip or distrust marked months, and a refresh
recomputes them and clears the marks it read. The marks sit here, at the bottom of the apps,
so that every app that reads a derived store can ask whether it is current.
"""

from __future__ import annotations

from django.db import models


class DirtyMonth(models.Model):
    """A month a write touched since the derived stores were computed.

    Written by database triggers in the writing transaction, so no path (admin, API, import,
    raw SQL, cascades) can change a record without marking its month. Rows are appended,
    never updated, so concurrent writers never wait on each other here. A NULL month marks
    every month (a change that moves records between teams, such as a system's owner).
    """

    month = models.DateField(null=True)

    class Meta:
        # The table kept the name it had when only the dashboards' rollups read it
        # (dashboards/0001): the triggers write it, and renaming it would mean reinstalling
        # them for no reader's benefit.
        db_table = "dashboards_rollup_dirty"

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else "every month"
