"""incidents 0004 repairs the slugs a URL cannot carry (empty ones above all) before 0005
forbids empty slugs: rows saved before names in any script had a slug come out linkable."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from incidents.slugs import slug_for

BEFORE_THE_REPAIR = [("incidents", "0003_timeline_and_themes_from_reviews")]
URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


# serialized_rollback: the flush after a transactional test would also drop the groups and
# permissions that data migrations created, which the tests after it rely on.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_empty_and_invalid_slugs_are_repaired_and_valid_ones_kept():
    executor = _migrate(BEFORE_THE_REPAIR)
    try:
        old = executor.loader.project_state(BEFORE_THE_REPAIR).apps
        system = old.get_model("incidents", "System")
        team = old.get_model("incidents", "Team")
        theme = old.get_model("incidents", "Theme")
        # What the old slugify() left behind: one empty slug per table (a second one would
        # hit the unique slug), slugs a URL cannot carry from raw writes, a name whose derived
        # slug another row already holds.
        database = system.objects.create(name="数据库", slug="")
        kept = system.objects.create(name="Payments", slug="Payments-API")
        spaced = system.objects.create(name="Legacy cron", slug="legacy cron")
        system.objects.create(name="Foo Bar", slug="foo-bar")
        clash = system.objects.create(name="Foo-Bar", slug="foo bar!")
        symbols = system.objects.create(name="!!!", slug="?")  # no letter: named by its kind
        ops = team.objects.create(name="运维", slug="")
        retry = theme.objects.create(name="重试风暴", slug="")
    finally:
        executor = _migrate(executor.loader.graph.leaf_nodes())

    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    slugs = dict(new.get_model("incidents", "System").objects.values_list("pk", "slug"))
    assert slugs[database.pk] == slug_for("数据库")
    assert slugs[kept.pk] == "Payments-API"  # valid: in people's links, left alone
    assert slugs[spaced.pk] == "legacy-cron"
    assert slugs[clash.pk] == f"foo-bar-{clash.pk}"
    assert slugs[symbols.pk] == "system"
    assert new.get_model("incidents", "Team").objects.get(pk=ops.pk).slug == slug_for("运维")
    assert new.get_model("incidents", "Theme").objects.get(pk=retry.pk).slug == slug_for("重试风暴")
    assert all(URL_SLUG.fullmatch(slug) for slug in slugs.values())
    for slug in slugs.values():
        reverse("dashboards:system_detail", args=[slug])  # NoReverseMatch before the repair
