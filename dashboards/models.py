"""Monthly rollups: the counts the dashboards show, per calendar month, kept beside the records.

A dashboard reads whole months from `RollupCell` and counts only what the cells cannot hold
live: the partial months at a period's edges, the months a write has touched since they were
last computed (`incidents.DirtyMonth`), months never computed, and the private incidents the viewer
may see. How the cells are computed and kept exact: dashboards/rollups/ and
docs/rollups.md.
"""

from django.db import models

ALL = 0  # `team` or `system` of a cell that does not filter on it
ANY_SEVERITY = ""  # `severity` of a cell that does not filter on it


class RollupCell(models.Model):
    """How many records of one measure, in one month, match one filter combination.

    `private` cells count the records of private incidents (and what hangs off them): only a
    viewer who may see every incident reads them; anyone else reads the public cells and has
    the private incidents they may see counted live. `team` and `system` are ids, or ALL;
    `severity` a severity or ANY_SEVERITY; `key` the measure's grouping (a category, a theme
    id, ...), "" if none.
    """

    month = models.DateField()  # the month's first day (UTC)
    measure = models.CharField(max_length=32)
    key = models.CharField(max_length=64, default="", blank=True)
    private = models.BooleanField(default=False)
    team = models.IntegerField(default=ALL)
    system = models.IntegerField(default=ALL)
    severity = models.CharField(max_length=8, default=ANY_SEVERITY, blank=True)
    n = models.IntegerField()

    class Meta:
        db_table = "dashboards_rollup_cell"
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "team", "severity", "system", "month", "key", "private"],
                name="rollup_cell_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.month:%Y-%m} {self.key or '-'}: {self.n}"


class RollupMonth(models.Model):
    """A month whose cells have been computed: a month missing here is counted live."""

    month = models.DateField(unique=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dashboards_rollup_month"

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
