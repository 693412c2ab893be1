"""`RollupDirty` is now `incidents.DirtyMonth` (incidents/0011), the same table. State only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0007_duration_triggers"),
        ("incidents", "0011_dirty_month"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RollupDirty")]
        )
    ]
