"""Teams, systems and themes get a unique, non-empty, URL-safe slug whatever the script of their
name, wherever they are created: the model, the admin, the API, the review workspace."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import System, Team, Theme
from incidents.slugs import slug_for
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, SystemFactory
from tests.reviews.conftest import _url

# What Django's `<slug:>` URL converter accepts.
URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
OTHER_SCRIPTS = ["数据库", "网络", "データベース", "Сеть", "نظام", "नेट", "नट", "Ørsted"]


# --- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [("API Gateway", "api-gateway"), ("Café Paris", "cafe-paris"), ("Straße", "strasse")],
)
def test_latin_names_keep_their_readable_slug(name, slug):
    assert slug_for(name) == slug


def test_names_in_any_script_get_distinct_url_safe_slugs():
    slugs = [slug_for(name) for name in OTHER_SCRIPTS]
    assert all(URL_SLUG.fullmatch(slug) for slug in slugs), slugs
    # "नेट" and "नट" differ only by a vowel sign: still two words, two slugs.
    assert len(set(slugs)) == len(OTHER_SCRIPTS)


def test_the_other_script_slug_decodes_back_to_the_name():
    assert slug_for("数据库").startswith("xn--")
    assert slug_for("数据库").removeprefix("xn--").encode().decode("punycode") == "数据库"


def test_long_names_that_share_their_start_get_two_slugs_within_the_limit():
    first, second = slug_for("a" * 120 + "x"), slug_for("a" * 120 + "y")
    assert first != second
    assert len(first) == len(second) == 100


def test_a_name_without_letters_or_digits_has_no_slug():
    assert slug_for("!!!") == slug_for("🔥") == ""


# --- the model -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_systems_named_in_another_script_are_two_systems():
    database = System.objects.create(name="数据库")
    network = System.objects.create(name="网络")
    assert database.slug != network.slug
    assert "" not in {database.slug, network.slug}


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Team, System, Theme])
def test_the_database_refuses_an_empty_slug(model):
    row = model.objects.create(name="Edge")
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(slug="")


# --- where people create them ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "extra"),
    [("team", {"contact": ""}), ("system", {"tier": 3, "description": ""})],
)
def test_the_admin_derives_the_slug_of_a_name_in_another_script(client, superuser, model, extra):
    client.force_login(superuser)
    response = client.post(
        reverse(f"admin:incidents_{model}_add"), {"name": "数据库", "slug": "", **extra}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = {"team": Team, "system": System}[model].objects.get(name="数据库")
    assert created.slug == slug_for("数据库")


@pytest.mark.django_db
def test_the_admin_names_a_clash_of_derived_slugs_on_the_form(client, superuser):
    SystemFactory(name="Foo Bar", slug="foo-bar")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:incidents_system_add"),
        {"name": "Foo-Bar", "slug": "", "tier": 3, "description": ""},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not System.objects.filter(name="Foo-Bar").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("resource", ["teams", "systems", "themes"])
def test_the_api_creates_names_in_another_script_without_a_slug(superuser, resource):
    client = client_for(superuser)
    first = client.post(f"/api/v1/{resource}/", {"name": "数据库"})
    second = client.post(f"/api/v1/{resource}/", {"name": "网络"})
    assert first.status_code == second.status_code == 201, (first.json(), second.json())
    assert first.json()["slug"] == slug_for("数据库")
    assert second.json()["slug"] == slug_for("网络")
    detail = client.get(f"/api/v1/{resource}/{first.json()['slug']}/")
    assert detail.json()["name"] == "数据库"


@pytest.mark.django_db
def test_the_workspace_creates_a_theme_named_in_another_script(client, facilitator):
    from reviews.models import Review
    from tests.factories import ReviewFactory

    review = ReviewFactory(facilitator=facilitator, status=Review.Status.IN_PROGRESS)
    client.force_login(facilitator)
    client.post(_url(review, "theme_create"), {"name": "重试风暴", "description": ""})
    client.post(_url(review, "theme_create"), {"name": "缓存过期", "description": ""})
    assert sorted(review.incident.themes.values_list("slug", flat=True)) == sorted(
        [slug_for("重试风暴"), slug_for("缓存过期")]
    )


@pytest.mark.django_db
def test_dashboards_link_systems_named_in_any_script(client, superuser):
    last_month = timezone.now().replace(day=1) - timedelta(days=10)
    systems = [System.objects.create(name=name) for name in OTHER_SCRIPTS]
    IncidentFactory(started_at=last_month, systems=systems)
    client.force_login(superuser)
    for url in ("/dashboard/systems/", "/dashboard/?period=month"):
        assert client.get(url).status_code == 200, url
    page = client.get("/dashboard/systems/").content.decode()
    for system in systems:
        detail = reverse("dashboards:system_detail", args=[system.slug])
        assert detail in page
        assert system.name in client.get(detail).content.decode()
