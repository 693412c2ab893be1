"""The review queue's stored cues (`WaitingIncident`), computed for the incidents already
there with today's code, so an upgraded installation's queue reads them from the first
request (about 20 s at 1,000,000 incidents on PostgreSQL)."""

import django.db.models.deletion
from django.db import migrations, models


def build(apps, schema_editor):
    from reviews.queue_store import compute

    compute()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_dirty_month"),
        ("reviews", "0006_follow_up_open_due"),
    ]

    operations = [
        migrations.CreateModel(
            name="WaitingIncident",
            fields=[
                (
                    "incident",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="incidents.incident",
                    ),
                ),
                ("team_count", models.PositiveSmallIntegerField()),
                ("first_collaboration", models.BooleanField()),
                ("touches_unowned_system", models.BooleanField()),
                ("cue_count", models.PositiveSmallIntegerField()),
                ("severity", models.CharField(max_length=8)),
                ("started_at", models.DateTimeField()),
                ("resolved_at", models.DateTimeField(null=True)),
            ],
            options={
                "db_table": "reviews_waiting_incident",
                "indexes": [
                    models.Index(
                        models.OrderBy(models.F("cue_count"), descending=True),
                        models.F("severity"),
                        models.OrderBy(models.F("started_at"), descending=True),
                        models.OrderBy(models.F("incident"), descending=True),
                        name="waiting_incident_queue_order",
                    ),
                    models.Index(fields=["started_at"], name="waiting_incident_started"),
                ],
            },
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
