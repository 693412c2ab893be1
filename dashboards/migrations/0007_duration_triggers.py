"""The triggers also watch what the durations' rank buckets read (measure `duration_ranks`,
0006): an incident's detection and resolution times and a review's publication time. Before,
resolving an incident in a month already computed left that month's buckets stale. The
triggers are installed again, and the buckets of every computed month recomputed."""

from django.db import migrations

from dashboards.rollups import triggers


def install(apps, schema_editor):
    triggers.remove(schema_editor, apps=apps)
    triggers.install(schema_editor, apps=apps)


def recompute_buckets(apps, schema_editor):
    from dashboards.rollups.refresh import compute_measures

    compute_measures("duration_ranks")


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0006_rank_buckets_and_due_dates")]

    operations = [
        # Backwards the wider triggers stay: they mark a superset of what 0006 needs.
        migrations.RunPython(install, migrations.RunPython.noop),
        migrations.RunPython(recompute_buckets, migrations.RunPython.noop),
    ]
