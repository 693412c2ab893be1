"""Give every team, system and theme a slug that a URL can carry, before 0005 forbids empty ones.

Names that `slugify` could not fold to ASCII ("数据库") were saved with an empty slug: `{% url %}`
failed on them (the systems dashboard answered 500), and the next such name was taken for the
same row. Such rows, and any slug with characters outside `[-a-zA-Z0-9_]` (the `<slug:>`
converter's), get the slug the name now derives (incidents.slugs.slug_for); when another row
already holds it, or the name has no letter or digit, the row's id is added, which no other row
can hold. Valid slugs are left alone: they are in people's links.
"""

import re

from django.db import migrations

from incidents.slugs import slug_for

URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _free_slug(model, row) -> str:
    base = slug_for(row.name) or model._meta.model_name
    others = model.objects.exclude(pk=row.pk)
    slug, attempt = base, 1
    while others.filter(slug=slug).exists():
        suffix = f"-{row.pk}" if attempt == 1 else f"-{row.pk}-{attempt}"
        slug, attempt = f"{base[: 100 - len(suffix)]}{suffix}", attempt + 1
    return slug


def repair_slugs(apps, schema_editor):
    for name in ("Team", "System", "Theme"):
        model = apps.get_model("incidents", name)
        for row in model.objects.order_by("pk"):
            if URL_SLUG.fullmatch(row.slug):
                continue
            row.slug = _free_slug(model, row)
            row.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_timeline_and_themes_from_reviews")]

    # Nothing to undo: the slugs before were broken, and the new ones stay valid.
    operations = [migrations.RunPython(repair_slugs, migrations.RunPython.noop)]
