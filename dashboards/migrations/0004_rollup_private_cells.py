"""Cells of their own for private incidents' records, read only by viewers who may see every
incident (docs/rollups.md). 0005 computes them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0003_build_rollups"),
        ("incidents", "0009_private_causes_index"),
        ("reviews", "0005_timeline_and_themes_to_incidents"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="rollupcell", name="rollup_cell_once"),
        migrations.AddField(
            model_name="rollupcell", name="private", field=models.BooleanField(default=False)
        ),
        migrations.AddConstraint(
            model_name="rollupcell",
            constraint=models.UniqueConstraint(
                fields=("measure", "team", "severity", "system", "month", "key", "private"),
                name="rollup_cell_once",
            ),
        ),
    ]
