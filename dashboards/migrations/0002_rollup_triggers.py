"""The triggers that mark the months every write touches (dashboards/rollups/triggers.py)."""

from django.db import migrations

from dashboards.rollups import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor, apps=apps)


def remove(apps, schema_editor):
    triggers.remove(schema_editor, apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_rollup_tables"),
        # The tables the triggers watch, as they are after these.
        ("incidents", "0007_team_reminder_addresses"),
        ("reviews", "0005_timeline_and_themes_to_incidents"),
    ]

    operations = [migrations.RunPython(install, remove)]
