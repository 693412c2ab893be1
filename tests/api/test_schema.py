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


def _error_schema(response) -> str:
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_every_operation_documents_its_errors(db):
    schema = yaml.safe_load(client_for(None).get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            codes = set(responses)
            assert {"400", "404", "405", "406", "503"} <= codes, (method, path)
            if method in ("post", "put", "patch"):
                assert {"411", "413"} <= codes, (method, path)
            if "requestBody" in operation:
                assert "415" in codes, (method, path)
                for media_type in operation["requestBody"]["content"]:
                    assert media_type in responses["415"]["description"], (method, path)
            # The resources' writes; the logins and the integrations' receivers (which settle
            # their own races) conflict with nothing.
            receiver = path.startswith(("/api/v1/auth/", "/api/v1/integrations/")) or (
                path.endswith("/webhook/")
            )
            writes_a_record = method in ("put", "patch", "delete") or (
                method == "post" and "{" not in path and not receiver
            )
            if writes_a_record:
                assert "409" in codes, (method, path)
            assert "Allow" in responses["405"]["headers"]
            assert "Retry-After" in responses["503"]["headers"]
            if "429" in codes:
                assert "Retry-After" in responses["429"]["headers"]
            # One shared error shape, in JSON: `detail`, and `fields` for a 400.
            for code in codes:
                if code.startswith(("4", "5")):
                    assert list(responses[code]["content"]) == ["application/json"], (path, code)
            assert _error_schema(responses["400"]) in ("ValidationError", "ImportError")
            for code in codes - {"400"}:
                if code.startswith(("4", "5")) and code != "409":
                    assert _error_schema(responses[code]) == "Error", (method, path, code)


def test_a_review_export_documents_the_409_of_an_unpublished_review(db):
    schema = yaml.safe_load(client_for(None).get("/api/schema/").content)
    export = schema["paths"]["/api/v1/reviews/{id}/export/"]["get"]["responses"]
    assert "not published" in export["409"]["description"]


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
                json_type = _JSON_TYPES[declared["type"]]
                for value in declared.get("enum", []):
                    assert isinstance(value, json_type), (method, path, declared)
    for resource in ("action-items", "participants"):
        parameters = schema["paths"][f"/api/v1/{resource}/"]["get"]["parameters"]
        review = next(parameter for parameter in parameters if parameter["name"] == "review")
        assert review["schema"]["type"] == "integer"
        assert review["schema"]["minimum"] == 1


def test_the_schema_and_its_viewers_answer_their_errors_in_json(db):
    # The schema's errors came out as YAML of DRF's internals ("detail: string: Not found.
    # code: not_found"), the viewers' as bare text.
    client = client_for(None)
    for response, status in (
        (client.get("/api/schema/?format=xml"), 404),
        (client.get("/api/schema/", HTTP_ACCEPT="application/xml"), 406),
        (client.post("/api/schema/", {}), 405),
        (client.post("/api/docs/", {}), 405),
        (client.get("/api/redoc/?format=json"), 404),
    ):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}
    assert client.get("/api/schema/?format=json").json()["openapi"].startswith("3.")
