"""Systems named in an import: found in the catalog by name or slug, created once otherwise,
whatever the script of the name; one system named twice in a row is that row's error."""

from __future__ import annotations

import pytest

from incidents.models import Incident, System
from incidents.slugs import slug_for
from tests.api.conftest import client_for
from tests.factories import SystemFactory, TeamFactory

URL = "/api/v1/incidents/import/"


def _row(**overrides):
    return {"title": "Imported", "started_at": "2026-02-01T10:00:00Z", **overrides}


def _systems(*names):
    return [{"name": name} for name in names]


@pytest.mark.parametrize("dry_run", [False, True])
def test_two_names_for_one_system_in_a_row_are_an_error_on_that_row(responder, dry_run):
    response = client_for(responder).post(
        f"{URL}?dry_run={str(dry_run).lower()}",
        [_row(systems=_systems("db")), _row(systems=_systems("Foo Bar", "Foo-Bar"))],
    )
    assert response.status_code == 400, response.content[:300]
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "systems")]
    assert "'Foo Bar' and 'Foo-Bar'" in response.json()["errors"][0]["message"]
    assert not Incident.objects.exists()
    assert not System.objects.exists()


def test_a_name_and_the_slug_of_the_same_catalog_system_in_a_row_are_an_error(responder):
    SystemFactory(name="Payments API", slug="pay")
    response = client_for(responder).post(URL, [_row(systems=_systems("payments api", "pay"))])
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "systems")]


def test_names_in_another_script_become_distinct_systems(responder, superuser):
    response = client_for(responder).post(
        URL,
        [
            _row(systems=_systems("数据库")),
            _row(
                systems=_systems("网络"),
                surprises=[{"expected": "a", "observed": "b", "system": "缓存"}],
            ),
        ],
    )
    assert response.status_code == 201, response.json()
    assert response.json()["systems_created"] == ["数据库", "网络", "缓存"]
    slugs = dict(System.objects.values_list("name", "slug"))
    assert slugs == {name: slug_for(name) for name in ("数据库", "网络", "缓存")}
    client = client_for(superuser)
    assert client.get("/dashboard/systems/").status_code == 200
    assert client.get("/dashboard/?period=month").status_code == 200


def test_a_name_written_as_a_slug_or_alike_names_the_catalog_system(responder):
    payments = SystemFactory(name="Payments API", slug="payments-api")
    database = System.objects.create(name="数据库")
    response = client_for(responder).post(
        URL,
        [
            _row(systems=_systems("payments-api", database.slug)),
            _row(systems=_systems("PAYMENTS  API!", "数据库")),
        ],
    )
    assert response.status_code == 201, response.json()
    assert response.json()["systems_created"] == []
    for incident in Incident.objects.all():
        assert set(incident.systems.all()) == {payments, database}


def test_one_new_system_named_alike_in_two_rows_is_created_once(responder):
    response = client_for(responder).post(
        URL, [_row(systems=_systems("Foo Bar")), _row(systems=_systems("foo-bar"))]
    )
    assert response.json()["systems_created"] == ["Foo Bar"]
    system = System.objects.get()
    assert system.incidents.count() == 2


def test_a_system_name_without_letters_is_an_error_on_its_row(responder):
    response = client_for(responder).post(
        URL,
        [
            _row(systems=_systems("!!!")),
            _row(difficulties=[{"category": "tooling", "description": "x", "system": "🔥"}]),
        ],
    )
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
        (1, "systems[0].name"),
        (2, "difficulties[0].system"),
    ]


def test_a_team_named_twice_in_a_row_is_linked_once(responder):
    TeamFactory(name="Checkout")
    response = client_for(responder).post(URL, [_row(teams=["checkout", "checkout"])])
    assert response.status_code == 201, response.json()
    assert Incident.objects.get().teams.count() == 1
