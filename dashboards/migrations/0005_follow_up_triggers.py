"""The follow-ups are rolled up too (measure `follow_ups`): their writes mark their incident's
month (dashboards/rollups/triggers.py). Then the cells of the records already there are
computed with today's code (see 0003; about a minute per 100,000 incidents on PostgreSQL),
so an upgraded installation's dashboards read cells from the first request."""

from django.db import migrations

from dashboards.rollups import triggers


def install(apps, schema_editor):
    # Every trigger of SPEC, dropped first: those of 0002 are replaced as they are.
    triggers.remove(schema_editor, apps=apps)
    triggers.install(schema_editor, apps=apps)


def build(apps, schema_editor):
    from dashboards.rollups.refresh import rebuild

    # The queue's stored cues come later (reviews/0007), which computes them.
    rebuild(queue=False)


def forget(apps, schema_editor):
    for name in ("RollupCell", "RollupMonth", "RollupDirty"):
        apps.get_model("dashboards", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0004_rollup_private_cells")]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        migrations.RunPython(build, forget),
    ]
