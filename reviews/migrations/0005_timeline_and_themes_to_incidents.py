"""The timeline and the theme codebook moved to incidents/ (incidents 0003): reviews forgets them
without touching their tables, which incidents now owns."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0004_role_permissions_participants'),
        ('incidents', '0003_timeline_and_themes_from_reviews'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='theme',
                    name='difficulties',
                ),
                migrations.RemoveField(
                    model_name='theme',
                    name='incidents',
                ),
                migrations.RemoveField(
                    model_name='theme',
                    name='surprises',
                ),
                migrations.RemoveField(
                    model_name='timelineentry',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='timelineentry',
                    name='incident',
                ),
                migrations.DeleteModel(
                    name='HistoricalTimelineEntry',
                ),
                migrations.DeleteModel(
                    name='Theme',
                ),
                migrations.DeleteModel(
                    name='TimelineEntry',
                ),
            ],
            database_operations=[],
        ),
    ]
