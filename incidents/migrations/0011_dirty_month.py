"""The months marked by writes move from the dashboards app to this one (model `DirtyMonth`,
the same table): the review queue's stored cues, in `reviews`, below `dashboards`, read them
too. State only: the table and the triggers that write it stay as they are."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_incident_started_durations_index"),
        ("dashboards", "0007_duration_triggers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DirtyMonth",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("month", models.DateField(null=True)),
                    ],
                    options={"db_table": "dashboards_rollup_dirty"},
                )
            ]
        )
    ]
