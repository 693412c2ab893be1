"""The OpenAPI document and its two viewers, served offline under the strict CSP."""

from __future__ import annotations

import io

import yaml
from django.core.management import call_command

from tests.api.conftest import client_for


def test_schema_is_public_and_documents_errors_and_csv(db):
    response = client_for(None).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    incidents = schema["paths"]["/api/v1/incidents/"]
    assert {"400", "401", "403", "404"} <= set(incidents["get"]["responses"])
    assert "text/csv" in incidents["get"]["responses"]["200"]["content"]
    assert {"200", "201", "409", "413", "415"} <= set(incidents["post"]["responses"])
    review_update = schema["paths"]["/api/v1/reviews/{id}/"]["patch"]["responses"]
    assert review_update["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ReviewConflict"
    )
    assert "/api/v1/reports/summary/" in schema["paths"]


def test_every_operation_documents_its_errors(db):
    schema = yaml.safe_load(client_for(None).get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "400" in codes, (method, path)
            assert "404" in codes, (method, path)


def test_spectacular_validates_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
        stderr=io.StringIO(),
    )
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_swagger_ui_is_served_offline_without_inline_script(db):
    client = client_for(None)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html
    assert "<style>" not in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_is_served_offline(db):
    page = client_for(None).get("/api/redoc/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert "fonts.googleapis.com" not in html
    policy = page["Content-Security-Policy"]
    # ReDoc injects its styles at runtime: only that page allows inline styles, never scripts.
    assert "script-src 'self';" in policy or policy.endswith("script-src 'self'")


_JSON_TYPES = {"string": str, "integer": int, "number": int | float, "boolean": bool}


def test_every_query_parameter_is_typed_as_the_values_it_takes(db):
    # `resolved` was a boolean whose choices were the strings "true" and "false"; a review
    # id a `number`, though 1.5 is a 400.
    schema = yaml.safe_load(client_for(None).get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                declared = parameter["schema"]
                for value in declared.get("enum", []):
                    assert isinstance(value, _JSON_TYPES[declared["type"]]), (method, path, declared)
    for resource in ("action-items", "participants"):
        parameters = schema["paths"][f"/api/v1/{resource}/"]["get"]["parameters"]
        review = next(parameter for parameter in parameters if parameter["name"] == "review")
        assert review["schema"]["type"] == "integer"
        assert review["schema"]["minimum"] == 1
