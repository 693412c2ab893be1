"""/api/v1/teams/, /systems/, /themes/: everyone reads; the catalog is the administrators'."""

from __future__ import annotations

import pytest

from incidents.models import System
from tests.api.conftest import client_for
from tests.factories import SystemFactory, TeamFactory


@pytest.mark.parametrize(
    ("person", "expected"),
    [("reader", 403), ("responder", 403), ("facilitator", 403), ("superuser", 201)],
)
def test_only_administrators_add_systems(db, request, person, expected):
    response = client_for(request.getfixturevalue(person)).post(
        "/api/v1/systems/", {"name": "Billing API"}
    )
    assert response.status_code == expected


def test_a_new_system_gets_a_slug_and_may_have_no_owner(superuser):
    response = client_for(superuser).post("/api/v1/systems/", {"name": "Billing API"})
    assert response.json()["slug"] == "billing-api"
    assert response.json()["has_owner"] is False


def test_systems_filter_by_owner(reader):
    team = TeamFactory(name="Core")
    owned = SystemFactory(owner_team=team)
    orphan = SystemFactory(owner_team=None)
    client = client_for(reader)
    assert [s["slug"] for s in client.get("/api/v1/systems/?team=core").json()["results"]] == [
        owned.slug
    ]
    orphans = client.get("/api/v1/systems/?has_owner=false").json()["results"]
    assert [s["slug"] for s in orphans] == [orphan.slug]


def test_systems_are_addressed_by_slug(superuser):
    system = SystemFactory(name="queue")
    response = client_for(superuser).patch(f"/api/v1/systems/{system.slug}/", {"tier": 1})
    assert response.status_code == 200
    assert System.objects.get(pk=system.pk).tier == 1


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 403), ("facilitator", 201)]
)
def test_facilitators_keep_the_theme_codebook(db, request, person, expected):
    response = client_for(request.getfixturevalue(person)).post(
        "/api/v1/themes/", {"name": "Retry storms"}
    )
    assert response.status_code == expected


def test_teams_list_and_csv(reader):
    TeamFactory(name="Edge")
    client = client_for(reader)
    assert [t["slug"] for t in client.get("/api/v1/teams/").json()["results"]] == ["edge"]
    body = b"".join(client.get("/api/v1/teams/?format=csv").streaming_content).decode()
    assert body.splitlines() == [
        "id,name,slug,contact",
        f"{body.splitlines()[1].split(',')[0]},Edge,edge,#edge",
    ]


def test_a_name_whose_slug_is_taken_is_a_400(superuser, facilitator):
    SystemFactory(name="Queue", slug="queue")
    response = client_for(superuser).post("/api/v1/systems/", {"name": "queue"})
    assert response.status_code == 400
    assert "already taken" in response.json()["fields"]["name"][0]
    client_for(facilitator).post("/api/v1/themes/", {"name": "Capacity"})
    clash = client_for(facilitator).post("/api/v1/themes/", {"name": "capacity"})
    assert clash.status_code == 400
    empty = client_for(facilitator).post("/api/v1/themes/", {"name": "!!!"})
    assert "letter or digit" in empty.json()["fields"]["name"][0]
