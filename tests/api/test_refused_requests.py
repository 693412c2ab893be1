"""What Django refuses before DRF sees the request, or beside it, answers in JSON under /api/
(handler400, handler403, handler404 in config/errors.py), and a body over the upload limit is
a 413 everywhere, pages included. Real requests through the whole middleware stack."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.api.conftest import client_for


def _api_error(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    return response.json()["detail"]


def test_too_many_query_parameters_is_a_json_400(reader, settings):
    client = Client()
    client.force_login(reader)
    query = "&".join(f"p{number}=1" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    detail = _api_error(client.get(f"/api/v1/incidents/?{query}"), 400)
    assert "Too many parameters" in detail
    # Pages keep Django's page.
    page = client.get(f"/incidents/?{query}")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_a_host_not_served_here_is_a_json_400_that_does_not_repeat_it(db):
    response = Client().get("/api/v1/incidents/", HTTP_HOST="evil.example")
    detail = _api_error(response, 400)
    assert "Host" in detail
    assert "evil.example" not in response.content.decode()
    page = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_a_session_post_with_a_malformed_multipart_body_is_a_json_415(responder):
    # With a session, DRF's CSRF check reads the form (for a token field) before the view
    # does: that read goes through DRF's parsers, which take JSON only, so even a body
    # Django's multipart parser could not read is the plain 415.
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    client.cookies["csrftoken"] = "a" * 32
    for content_type in ("multipart/form-data", "multipart/form-data; boundary="):
        response = client.post("/api/v1/incidents/", b"--x\r\n", content_type=content_type)
        assert "Unsupported media type" in _api_error(response, 415)


def test_invalid_json_and_invalid_utf8_are_json_400s(responder):
    client = Client()
    client.force_login(responder)
    for body in (b"{", b'{"title": "\xff"}', b"\xef\xbb\xbf{}"[:2]):
        response = client.post("/api/v1/incidents/", body, content_type="application/json")
        assert "JSON parse error" in _api_error(response, 400)


def test_broken_percent_encoding_or_utf8_in_the_path_or_query_is_a_clean_4xx(reader):
    client = Client()
    client.force_login(reader)
    assert client.get("/api/v1/incidents/%FF/").status_code == 404
    assert client.get("/api/v1/incidents/%zz/").status_code == 404
    assert client.get("/api/v1/no-%C0%AF-such/").status_code == 404
    assert client.get("/api/v1/incidents/?q=%FF%FE").status_code == 200
    assert client.get("/api/v1/incidents/?q=%zz").status_code == 200
    unknown = client.get("/api/v1/incidents/?%FF=1")
    assert "Unknown query parameter" in _api_error(unknown, 400)
    assert client.get("/incidents/?q=%FF").status_code == 200


def test_an_import_with_too_many_form_fields_or_files_is_a_json_400(responder, settings):
    # DRF's multipart parser lets Django's refusals (SuspiciousOperation) through.
    client = client_for(responder)
    fields = {f"f{number}": "1" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post("/api/v1/incidents/import/", fields, format="multipart")
    assert "Too many parameters" in _api_error(response, 400)
    files = {
        f"file{number}": SimpleUploadedFile(f"{number}.csv", b"title\n")
        for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }
    response = client.post("/api/v1/incidents/import/", files, format="multipart")
    assert "Too many files" in _api_error(response, 400)


@pytest.mark.urls("tests.api.refusing_urls")
def test_a_django_permission_denied_under_the_api_is_a_json_403(db):
    detail = _api_error(Client().get("/api/refusing/forbidden/"), 403)
    assert detail == "Only the owner may look."


@pytest.mark.urls("tests.api.refusing_urls")
def test_a_django_404_under_the_api_is_a_json_404(db):
    assert _api_error(Client().get("/api/refusing/missing/"), 404) == "Not found."


@pytest.mark.urls("tests.api.refusing_urls")
def test_a_form_over_the_upload_limit_is_413_json_under_the_api_and_a_page_elsewhere(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = "a=" + "x" * 200
    form = "application/x-www-form-urlencoded"
    detail = _api_error(Client().post("/api/refusing/form/", body, content_type=form), 413)
    assert "larger than 100 bytes" in detail
    page = Client().post("/refusing/form/", body, content_type=form)
    assert page.status_code == 413
    assert page["Content-Type"].startswith("text/html")
    assert b"larger than 100 bytes" in page.content


@pytest.mark.urls("tests.api.refusing_urls")
def test_a_form_with_too_many_fields_is_a_json_400_under_the_api(db, settings):
    body = "&".join(f"f{number}=1" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = Client().post(
        "/api/refusing/form/", body, content_type="application/x-www-form-urlencoded"
    )
    assert "Too many parameters" in _api_error(response, 400)


@pytest.mark.urls("tests.api.refusing_urls")
def test_a_malformed_multipart_body_read_outside_drf_is_a_json_400(db):
    response = Client().post("/api/refusing/form/", b"--x\r\n", content_type="multipart/form-data")
    assert "multipart" in _api_error(response, 400)


def test_a_page_form_over_the_upload_limit_is_413(responder, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client()
    client.force_login(responder)
    page = client.post("/near-misses/new/", {"title": "x" * 500})
    assert page.status_code == 413
