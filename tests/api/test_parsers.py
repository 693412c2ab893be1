"""JSON bodies have a nesting limit: a deeply nested body is a 400, never a RecursionError."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser as DRFJSONParser

from api.parsers import MAX_JSON_DEPTH, JSONParser, json_depth
from incidents.models import Incident
from tests.api.conftest import client_for


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/incidents/", '{"title": ' + _nested(1000) + "}"),
        ("/api/v1/incidents/import/", _nested(1000)),
        ("/api/v1/auth/login/", '{"username": ' + _nested(1000) + "}"),
    ],
)
def test_json_nested_a_thousand_deep_is_a_400_json_error(responder, url, body):
    response = client_for(responder).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert f"nested deeper than {MAX_JSON_DEPTH}" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_json_just_over_the_limit_is_refused_and_at_the_limit_parsed(responder):
    client = client_for(responder)
    over = client.post(
        "/api/v1/incidents/import/",
        _nested(MAX_JSON_DEPTH + 1),
        content_type="application/json",
    )
    assert over.status_code == 400
    assert "nested deeper" in over.json()["detail"]
    # At the limit the body parses; the import then refuses it for what it is, per row.
    at_limit = client.post(
        "/api/v1/incidents/import/", _nested(MAX_JSON_DEPTH), content_type="application/json"
    )
    assert at_limit.status_code == 400
    assert "nested deeper" not in at_limit.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(responder):
    summary = "[{" * 500 + '\\"]' + "}]" * 10
    response = client_for(responder).post(
        "/api/v1/incidents/",
        '{"title": "[[x", "summary": "' + summary + '", "started_at": "2026-03-01T10:00:00Z"}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert Incident.objects.get().summary == json.loads(f'"{summary}"')


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('"[[[["', 0),
        ('["\\"[[", []]', 2),
        ("[[]][[[]]]", 3),
    ],
)
def test_json_depth_counts_only_structure(text, depth):
    assert json_depth(text) == depth


def _api_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            yield pattern


def test_every_api_endpoint_parses_json_with_the_depth_limit():
    """One parser for all: a view that brings its own JSON parser would skip the limit."""
    checked = 0
    for pattern in _api_views(get_resolver().url_patterns):
        callback = pattern.callback
        parsers = callback.initkwargs.get("parser_classes", callback.cls.parser_classes)
        for parser in parsers:
            if issubclass(parser, DRFJSONParser):
                assert issubclass(parser, JSONParser), f"{pattern.pattern} uses {parser}"
                checked += 1
    assert checked > 20


def test_a_csv_import_cell_of_deeply_nested_json_is_a_row_error(responder):
    csv = "title,started_at,surprises\nDeep,2026-02-01T10:00:00Z," + _nested(1000) + "\n"
    upload = SimpleUploadedFile("incidents.csv", csv.encode(), content_type="text/csv")
    response = client_for(responder).post(
        "/api/v1/incidents/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert [error["row"] for error in response.json()["errors"]] == [1]
    assert not Incident.objects.exists()
