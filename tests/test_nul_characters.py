"""A NUL character in a path, a query parameter or a cookie is refused before any app sees it.

PostgreSQL cannot store or compare text holding NUL: a lookup with one raises DataError, a
500. SQLite accepts it, so these tests fail on both databases without the guard (a 200 or a
500 instead of the 404/400).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import IncidentFactory, NearMissFactory, ReviewFactory, SystemFactory


@pytest.fixture
def records(db):
    system = SystemFactory(slug="payments")
    incident = IncidentFactory(systems=[system])
    ReviewFactory(incident=incident)
    NearMissFactory(systems=[system])
    return incident


@pytest.fixture
def client(superuser, records):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/INC%00/",
        "/incidents/INC-0001%00/review/",
        "/dashboard/systems/pay%00ments/",
        "/reviews/1/sections/summary%00/",
        "/admin/incidents/incident/1%00/change/",
        "/admin/incidents/sys%00tem/",
    ],
)
def test_a_nul_in_a_page_path_is_404(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/incidents/INC%00/",
        "/api/v1/systems/pay%00ments/",
        "/api/v1/reviews/1%00/",
        "/api/v1/no-such%00-thing/",
    ],
)
def test_a_nul_in_an_api_path_is_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/?q=check%00out",
        "/incidents/?system=pay%00ments",
        "/incidents/?team=a%00",
        "/near-misses/?q=a%00",
        "/surprises/?system=a%00",
        "/follow-ups/?team=a%00",
        "/reviews/?q=a%00",
        "/dashboard/?system=a%00",
        "/dashboard/systems/?team=a%00",
        "/admin/incidents/incident/?q=a%00",
        "/admin/incidents/incident/?status=a%00",
        "/admin/incidents/incident/?severity__exact=SEV1%00",
        "/admin/incidents/system/?q=a%00",
        "/admin/reviews/review/?q=a%00",
        "/admin/incidents/incident/?q%00=a",
    ],
)
def test_a_nul_in_a_page_query_parameter_is_400(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/incidents/?q=a%00b", "q"),
        ("/api/v1/incidents/?system=pay%00ments", "system"),
        ("/api/v1/reports/systems/?team=a%00", "team"),
        ("/api/v1/incidents/INC-0001/?format=js%00on", "format"),
    ],
)
def test_a_nul_in_an_api_query_parameter_is_400_naming_it(client, url, name):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["fields"] == {name: ["Null characters are not allowed."]}


def test_a_nul_in_the_session_cookie_is_400_not_a_database_error(records):
    client = Client()
    # Django's cookie parser decodes octal escapes: the session key reaches the lookup as NUL.
    client.cookies.load('sessionid="' + "\\000" * 8 + '"')
    assert client.cookies["sessionid"].value == "\x00" * 8
    assert client.get("/incidents/").status_code == 400


def test_query_parameters_without_nul_still_work(client, records):
    assert client.get("/incidents/?q=checkout").status_code == 200
    assert client.get("/api/v1/incidents/?q=checkout").status_code == 200
    assert client.get(f"/incidents/{records.reference}/").status_code == 200
