"""The incident, near-miss, signal and deployment lists cost the same number of queries for ten
incidents as for a thousand: they filter and page in the database, and read what each row shows
with the page (no query per row)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.bulk import bulk_history, queries_to_get

pytestmark = pytest.mark.django_db

LISTS = [
    "/incidents/",
    "/incidents/?page=2",
    "/incidents/?severity=SEV2",
    "/incidents/?team=bulk-team-1&system=bulk-system-2",
    "/incidents/?review_status=none&has=surprise",
    "/incidents/?cause=deployment&q=bulk",
    "/near-misses/",
    "/near-misses/?page=2",
    "/near-misses/?severity=SEV2&team=bulk-team-1",
    "/surprises/",
    "/surprises/?system=bulk-system-1&page=2",
    "/difficulties/",
    "/difficulties/?team=bulk-team-2",
    "/ownership-gaps/",
    "/ownership-gaps/?severity=SEV1",
    "/deployments/",
    "/deployments/?system=bulk-system-1&page=2",
]


def test_every_list_costs_the_same_for_ten_incidents_as_for_a_thousand(reader):
    client = Client()
    client.force_login(reader)
    client.get("/")  # the session and the content types are read once
    bulk_history(10)
    few = {url: queries_to_get(client, url) for url in LISTS}
    bulk_history(1000)
    assert {url: queries_to_get(client, url) for url in LISTS} == few
