from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviews = Permission.objects.filter(content_type__app_label="reviews")
    facilitators, _ = Group.objects.get_or_create(name="Facilitators")
    responders, _ = Group.objects.get_or_create(name="Responders")
    facilitators.permissions.add(
        *reviews.filter(codename__in=[
            "add_participant", "change_participant", "delete_participant", "view_participant",
            "view_surveyresponse",
        ])
    )
    responders.permissions.add(*reviews.filter(codename__in=["view_participant"]))


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_participants_survey")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
