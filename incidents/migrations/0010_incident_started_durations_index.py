# The started_at index covers what the durations read (an index-only scan); added before
# the plain one is dropped, so periods are never without an index.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_private_causes_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["started_at", "detected_at", "resolved_at", "id"],
                name="incident_started_durations",
            ),
        ),
        migrations.RemoveIndex(
            model_name="incident",
            name="incidents_i_started_1aaf3f_idx",
        ),
    ]
