"""page and page_size: a value outside what the API serves is a 400 naming the allowed range,
never silently the default; a page past the end stays a 404."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories import IncidentFactory, SystemFactory


@pytest.mark.parametrize("value", ["-1", "0", "null", "", "abc", "1.5", "501", "10" * 20, " 5"])
def test_a_page_size_outside_1_to_500_is_400_naming_the_range(reader, value):
    response = client_for(reader).get("/api/v1/incidents/", {"page_size": value})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "page_size": ["Must be a whole number from 1 to 500."]
    }


@pytest.mark.parametrize("value", ["0", "-1", "abc", "", "null", "2.0", "first"])
def test_a_page_that_is_not_a_page_number_is_400(reader, value):
    response = client_for(reader).get("/api/v1/incidents/", {"page": value})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "page": ["Must be a whole number from 1, or `last`."]
    }


def test_page_sizes_and_pages_in_range_still_work(reader):
    IncidentFactory.create_batch(3)
    client = client_for(reader)
    body = client.get("/api/v1/incidents/", {"page_size": "2", "page": "2"}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert len(client.get("/api/v1/incidents/", {"page_size": "500"}).json()["results"]) == 3
    last = client.get("/api/v1/incidents/", {"page_size": "2", "page": "last"}).json()
    assert last["results"] == body["results"]


def test_a_page_past_the_end_is_still_404(reader):
    response = client_for(reader).get("/api/v1/incidents/", {"page": "9" * 30})
    assert response.status_code == 404


def test_every_paginated_list_checks_its_page_parameters(reader):
    SystemFactory()
    for url in ["/api/v1/systems/", "/api/v1/surprises/", "/api/v1/reviews/", "/api/v1/themes/"]:
        assert client_for(reader).get(url, {"page_size": "0"}).status_code == 400, url


def test_a_csv_list_is_not_paginated_but_refuses_a_bad_page_size_too(reader):
    response = client_for(reader).get("/api/v1/incidents/", {"format": "csv", "page_size": "-1"})
    assert response.status_code == 400
    assert "page_size" in response.json()["fields"]
