"""Every incident page carries the strict Content-Security-Policy and needs none of its exceptions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
)

pytestmark = pytest.mark.django_db

# Markup the policy forbids in our templates: inline scripts, inline styles, event handlers.
FORBIDDEN = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]


@pytest.fixture
def pages(db):
    incident = IncidentFactory()
    ReviewFactory(incident=incident)
    SurpriseFactory(incident=incident)
    DifficultyFactory(incident=incident)
    OwnershipGapFactory(incident=incident)
    near_miss = NearMissFactory()
    return [
        reverse("incidents:home"),
        reverse("incidents:list"),
        reverse("incidents:list") + "?severity=SEV9",
        incident.get_absolute_url(),
        reverse("incidents:near_miss_list"),
        reverse("incidents:near_miss_new"),
        reverse("incidents:near_miss_detail", args=[near_miss.pk]),
        reverse("incidents:surprise_list"),
        reverse("incidents:difficulty_list"),
        reverse("incidents:ownership_gap_list"),
    ]


def test_content_security_policy_is_on_every_incident_page(client, facilitator, pages):
    client.force_login(facilitator)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_incident_pages_need_no_inline_script_or_style(client, facilitator, pages):
    client.force_login(facilitator)
    for url in pages:
        html = client.get(url).content.decode()
        for pattern in FORBIDDEN:
            assert not pattern.search(html), f"{url}: {pattern.pattern}"


def test_login_page_carries_the_policy_too(client):
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_near_miss_form_with_errors_carries_the_policy(client, reader):
    client.force_login(reader)
    response = client.post(reverse("incidents:near_miss_new"), {"title": ""})
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
