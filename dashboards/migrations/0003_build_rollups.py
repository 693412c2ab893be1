"""Compute the monthly rollups of the records already there, so an upgraded installation's
dashboards read cells from the first request (docs/rollups.md).

It calls today's code, not historical models: the cells are derived data, recomputed from
the records by `manage.py rollups --rebuild` whenever their definition changes. On a large
history this takes a while (about a minute per 100,000 incidents on PostgreSQL).
"""

from django.db import migrations


def build(apps, schema_editor):
    from dashboards.rollups.refresh import rebuild

    rebuild()


def forget(apps, schema_editor):
    for name in ("RollupCell", "RollupMonth", "RollupDirty"):
        apps.get_model("dashboards", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_rollup_triggers"),
        ("incidents", "0008_private_incidents_index"),
    ]

    operations = [migrations.RunPython(build, forget)]
