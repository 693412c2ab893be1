"""Two measures, so the overview's cost stops growing with the history behind its period:
- `duration_ranks` (PostgreSQL): the durations by rank bucket, so a median or p90 reads only
  the incidents of the buckets its ranks fall in, with the indexes that find those incidents
  by bucket and start (time to detect, time to resolve), and one that answers the time to
  publish's review side (published reviews by incident). The durations' bins are sums of
  buckets: measure `durations` (by bin) goes;
- `follow_ups_open_due`: the open follow-ups by due date, so "overdue" in today's month comes
  from the cells too.
On PostgreSQL the cells' unique key also carries the count (INCLUDE), for index-only reads.
The months already computed get their cells (one pass over the incidents and follow-ups); the
other measures' cells are kept."""

from django.db import migrations

from dashboards.rollups.cells import rank_bucket_sql

INDEXES = (("incident_detect_rank", "detected_at"), ("incident_resolve_rank", "resolved_at"))
MEASURES = ("duration_ranks", "follow_ups_open_due")


def _cell_key(apps) -> tuple[str, str]:
    """The cells' table and the columns of its unique key, as the model state declares them."""
    model = apps.get_model("dashboards", "RollupCell")
    fields = next(c.fields for c in model._meta.constraints if c.name == "rollup_cell_once")
    return model._meta.db_table, ", ".join(fields)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("incidents", "Incident")._meta.db_table
        for name, end in INDEXES:
            bucket = rank_bucket_sql(f"{end} - started_at")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} (({bucket}), started_at) "
                f"INCLUDE ({end})"
            )
        # The time to publish joins each incident of the period to its review: this one
        # answers the review side from the index alone.
        reviews = apps.get_model("reviews", "Review")._meta.db_table
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS review_published_incident ON {reviews} (incident_id) "
            "INCLUDE (published_at) WHERE status = 'published' AND published_at IS NOT NULL"
        )
        # Every page reads the cells by this key for their counts: with the counts in the
        # index too, PostgreSQL answers from the index alone (once vacuumed), not from a heap
        # page per cell. SQLite has no such index (Django would drop the constraint there).
        cells, key = _cell_key(apps)
        schema_editor.execute(
            f"ALTER TABLE {cells} DROP CONSTRAINT rollup_cell_once, ADD CONSTRAINT "
            f"rollup_cell_once UNIQUE ({key}) INCLUDE (n)"
        )
    from dashboards.rollups.refresh import compute_measures

    apps.get_model("dashboards", "RollupCell").objects.filter(measure="durations").delete()
    compute_measures(*MEASURES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in (*(name for name, _ in INDEXES), "review_published_incident"):
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        cells, key = _cell_key(apps)
        schema_editor.execute(
            f"ALTER TABLE {cells} DROP CONSTRAINT rollup_cell_once, ADD CONSTRAINT "
            f"rollup_cell_once UNIQUE ({key})"
        )
    apps.get_model("dashboards", "RollupCell").objects.filter(measure__in=MEASURES).delete()
    # The code rolled back to counts the bins from measure `durations`, gone: every month is
    # counted live until its next refresh recomputes them all.
    apps.get_model("dashboards", "RollupDirty").objects.create(month=None)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0005_follow_up_triggers"),
        ("incidents", "0010_incident_started_durations_index"),
        ("reviews", "0006_follow_up_open_due"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
