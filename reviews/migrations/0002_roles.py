"""Create the two role groups and give them their admin permissions.

Facilitators run and publish reviews; responders log incidents and add what they saw.
Everyone else reads, which needs no group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    ("incidents", model)
    for model in ["team", "system", "incident", "incidentsystem", "nearmiss", "surprise", "difficulty", "ownershipgap"]
] + [("reviews", model) for model in ["review", "timelineentry", "actionitem", "theme"]]

RESPONDER_EDITS = [
    ("incidents", "incident"),
    ("incidents", "incidentsystem"),
    ("incidents", "nearmiss"),
    ("incidents", "surprise"),
    ("incidents", "difficulty"),
    ("incidents", "ownershipgap"),
    ("reviews", "timelineentry"),
]
FACILITATOR_EDITS = RESPONDER_EDITS + [
    ("reviews", "review"),
    ("reviews", "actionitem"),
    ("reviews", "theme"),
]


def _codenames(pairs, actions):
    return [(app, f"{action}_{model}") for app, model in pairs for action in actions]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(pairs):
        found = []
        for app_label, codename in pairs:
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    roles = {
        "Responders": _codenames(VIEW_ALL, ["view"]) + _codenames(RESPONDER_EDITS, ["add", "change"]),
        "Facilitators": _codenames(VIEW_ALL, ["view"])
        + _codenames(FACILITATOR_EDITS, ["add", "change", "delete"]),
    }
    for name, pairs in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions(pairs))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Responders", "Facilitators"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
