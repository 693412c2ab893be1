"""The timeline and the theme codebook describe the incident record: they move from reviews/
to incidents/ (issue 8, one-way layering). Only Django's state moves; the tables keep their
names (Meta.db_table) and every row stays where it is. The content types move too, so the
permissions the roles hold, and the admin's log, follow the models."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


MOVED_MODELS = ["timelineentry", "historicaltimelineentry", "theme"]


def _move_content_types(apps, from_app, to_app):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        if ContentType.objects.filter(app_label=to_app, model=model).exists():
            continue
        ContentType.objects.filter(app_label=from_app, model=model).update(app_label=to_app)


def content_types_to_incidents(apps, schema_editor):
    _move_content_types(apps, "reviews", "incidents")


def content_types_to_reviews(apps, schema_editor):
    _move_content_types(apps, "incidents", "reviews")


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0002_signal_history'),
        # The tables are created by reviews' migrations; claim them only once they exist.
        ('reviews', '0004_role_permissions_participants'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalTimelineEntry',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('kind', models.CharField(choices=[('detection', 'Detection'), ('diagnosis', 'Diagnosis'), ('repair', 'Repair'), ('key_moment', 'Key moment'), ('note', 'Note')], default='note', max_length=20)),
                        ('text', models.TextField()),
                        ('evidence_url', models.URLField(blank=True, help_text='Link to a graph, log or chat message.')),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('author', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('incident', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.incident')),
                    ],
                    options={
                        'verbose_name': 'historical timeline entry',
                        'verbose_name_plural': 'historical timeline entries',
                        'db_table': 'reviews_historicaltimelineentry',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Theme',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('slug', models.SlugField(max_length=100, unique=True)),
                        ('description', models.TextField(blank=True)),
                        ('difficulties', models.ManyToManyField(blank=True, related_name='themes', to='incidents.difficulty')),
                        ('incidents', models.ManyToManyField(blank=True, related_name='themes', to='incidents.incident')),
                        ('surprises', models.ManyToManyField(blank=True, related_name='themes', to='incidents.surprise')),
                    ],
                    options={
                        'db_table': 'reviews_theme',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='TimelineEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('kind', models.CharField(choices=[('detection', 'Detection'), ('diagnosis', 'Diagnosis'), ('repair', 'Repair'), ('key_moment', 'Key moment'), ('note', 'Note')], default='note', max_length=20)),
                        ('text', models.TextField()),
                        ('evidence_url', models.URLField(blank=True, help_text='Link to a graph, log or chat message.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='timeline_entries', to=settings.AUTH_USER_MODEL)),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='timeline', to='incidents.incident')),
                    ],
                    options={
                        'verbose_name_plural': 'timeline entries',
                        'db_table': 'reviews_timelineentry',
                        'ordering': ['at', 'pk'],
                        'indexes': [models.Index(fields=['incident', 'at'], name='reviews_tim_inciden_75eb06_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_incidents, content_types_to_reviews),
    ]
