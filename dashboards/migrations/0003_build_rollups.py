"""Formerly computed the rollups of the records already there; that now happens in 0005,
after the cells and triggers are as today's code needs them.

A migration that calls today's code must come after every schema change that code needs, so
only the last such migration computes: the cells are derived data, recomputed from the
records by `manage.py rollups --rebuild` whenever their definition changes.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_rollup_triggers"),
        ("incidents", "0008_private_incidents_index"),
    ]

    operations = []
