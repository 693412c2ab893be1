"""Every error is JSON with a readable `detail`: 400, 401, 403, 404, 405, 409, 413, 415."""

from __future__ import annotations

import json

import pytest

from incidents.models import Incident
from reviews.models import Review
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, NearMissFactory, ReviewFactory, SystemFactory


def test_invalid_body_is_400_with_field_messages(responder):
    response = client_for(responder).post("/api/v1/incidents/", {"severity": "SEV9"})
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["title"] == ["This field is required."]
    assert body["fields"]["severity"] == ['"SEV9" is not a valid choice.']
    assert body["detail"].startswith("The request is not valid.")


def test_model_rules_are_field_errors_too(responder):
    response = client_for(responder).post(
        "/api/v1/incidents/",
        {
            "title": "Checkout down",
            "started_at": "2026-03-01T10:00:00Z",
            "detected_at": "2026-03-01T09:00:00Z",
        },
    )
    assert response.status_code == 400
    assert response.json()["fields"]["detected_at"] == ["Detected at cannot be before started at."]


def test_an_empty_string_for_a_related_record_is_400_not_a_silent_null(responder, superuser):
    # The schema says a username or slug, or null; DRF read "" as null (an HTML form's empty
    # select), so `lead: ""` quietly removed the lead.
    incident = IncidentFactory(lead=responder)
    response = client_for(responder).patch(f"/api/v1/incidents/{incident.reference}/", {"lead": ""})
    assert response.status_code == 400
    assert response.json()["fields"]["lead"] == ["Send null for none, not an empty string."]
    incident.refresh_from_db()
    assert incident.lead == responder
    system = client_for(superuser).post("/api/v1/systems/", {"name": "search", "owner_team": ""})
    assert system.status_code == 400
    assert "owner_team" in system.json()["fields"]
    cleared = client_for(responder).patch(
        f"/api/v1/incidents/{incident.reference}/", {"lead": None}
    )
    assert cleared.status_code == 200
    assert cleared.json()["lead"] is None


def test_unknown_query_parameter_is_400_listing_the_allowed_ones(reader):
    response = client_for(reader).get("/api/v1/incidents/?severty=SEV1")
    assert response.status_code == 400
    message = response.json()["fields"]["severty"][0]
    assert "severity" in message
    assert "start" in message


def test_mistyped_filter_value_is_400_not_500(reader):
    response = client_for(reader).get("/api/v1/incidents/?start=2026-13-45")
    assert response.status_code == 400
    assert "start" in response.json()["fields"]


def test_unknown_format_is_400(reader):
    response = client_for(reader).get("/api/v1/incidents/?format=xml")
    assert response.status_code == 400
    assert "csv" in response.json()["fields"]["format"][0]


def test_unknown_ordering_field_is_400(reader):
    response = client_for(reader).get("/api/v1/incidents/?ordering=-secret")
    assert response.status_code == 400
    assert "started_at" in response.json()["fields"]["ordering"][0]


def test_unknown_endpoint_is_404_json(reader):
    response = client_for(reader).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "No API endpoint" in response.json()["detail"]


def test_a_path_without_its_trailing_slash_is_a_404_naming_the_right_one(reader):
    response = client_for(reader).get("/api/v1/incidents")
    assert response.status_code == 404
    assert "/api/v1/incidents/" in response.json()["detail"]
    assert (
        "/api/v1/nothing-here/"
        not in client_for(reader).get("/api/v1/nothing-here").json()["detail"]
    )


def test_missing_object_is_404_json(reader):
    response = client_for(reader).get("/api/v1/incidents/INC-9999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}


def test_page_past_the_end_is_404_json(reader):
    response = client_for(reader).get("/api/v1/incidents/?page=7")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_wrong_method_is_405_json(reader):
    response = client_for(reader).put("/api/v1/incidents/", {})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_a_method_the_path_does_not_take_is_405_whatever_else_is_wrong(reader):
    # DRF checks the query parameters (and the body size) before it looks for the method's
    # handler: an unknown method with an unknown parameter was a 400.
    client = client_for(reader)
    for response in (
        client.put("/api/v1/incidents/?bogus=1", {}),
        client.generic("TRACE", "/api/v1/incidents/?severity=SEV1"),
        client.post("/api/v1/reports/summary/?period=quarter", {}),
    ):
        assert response.status_code == 405
        assert "not allowed" in response.json()["detail"]
        assert "GET" in response["Allow"]


def test_a_chunked_body_is_411_not_read_as_empty(responder):
    # Django reads no body without a Content-Length: a chunked create was answered as if empty
    # ("title: This field is required"), a misleading 400.
    response = client_for(responder).generic(
        "POST",
        "/api/v1/incidents/",
        json.dumps({"title": "x", "started_at": "2026-01-01T00:00:00Z"}),
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_a_body_on_a_read_is_not_weighed(reader, settings):
    # Only the methods whose body the API reads (POST, PUT, PATCH) can be a 413.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = client_for(reader).generic(
        "GET", "/api/v1/incidents/", "x" * 100, content_type="application/json"
    )
    assert response.status_code == 200


def test_wrong_content_type_is_415_json(responder):
    response = client_for(responder).post(
        "/api/v1/incidents/", "title=x", content_type="text/plain"
    )
    assert response.status_code == 415
    assert "text/plain" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "content_type", "body"),
    [
        # Form fields cannot carry the nested `systems`: they were dropped without a word.
        (
            "/api/v1/incidents/",
            "application/x-www-form-urlencoded",
            "title=x&started_at=2026-01-01T00:00:00Z&systems=search",
        ),
        (
            "/api/v1/incidents/",
            "multipart/form-data; boundary=B",
            '--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--B--\r\n',
        ),
        ("/api/v1/incidents/import/", "application/x-www-form-urlencoded", "title=x"),
        ("/api/v1/deployments/import/", "application/x-www-form-urlencoded", "system=x"),
        ("/api/v1/auth/login/", "application/x-www-form-urlencoded", "username=a&password=b"),
    ],
)
def test_a_form_body_is_415_naming_what_the_endpoint_takes(responder, url, content_type, body):
    response = client_for(responder).post(url, body, content_type=content_type)
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert content_type.split(";")[0] in response.json()["detail"]
    assert "application/json" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_body_over_the_upload_limit_is_413_json(responder, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "x", "summary": "y" * 2000, "started_at": "2026-01-01T00:00:00Z"})
    response = client_for(responder).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["detail"]


def test_deleting_a_system_still_in_use_is_409(superuser):
    system = SystemFactory()
    IncidentFactory(systems=[system])
    response = client_for(superuser).delete(f"/api/v1/systems/{system.slug}/")
    assert response.status_code == 409
    assert "Still in use" in response.json()["detail"]


def test_malformed_json_is_400_json(responder):
    response = client_for(responder).post(
        "/api/v1/incidents/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("accept", ["text/csv", "application/json"])
def test_errors_are_json_even_when_csv_was_asked_for(reader, accept):
    response = client_for(reader).get("/api/v1/incidents/?bogus=1", HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "bogus" in response.json()["fields"]


def test_an_unsupported_accept_header_is_406_json(reader):
    response = client_for(reader).get("/api/v1/incidents/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response.json()["detail"]


def test_ids_out_of_the_database_range_are_not_500(reader):
    client = client_for(reader)
    assert client.get("/api/v1/action-items/?review=1e200").status_code == 400
    assert client.get(f"/api/v1/surprises/{10**20}/").status_code == 404
    assert client.get("/api/v1/surprises/-1/").status_code == 404


def test_actions_answer_a_format_suffix_like_their_query_parameter(facilitator):
    # The router also routes `/export.csv`; an action that did not take the suffix's `format`
    # answered those with a 500.
    IncidentFactory(title="Checkout down")
    NearMissFactory(title="Almost dropped the table")
    published = ReviewFactory(status=Review.Status.PUBLISHED, narrative="What happened")
    draft = ReviewFactory(facilitator=facilitator)
    client = client_for(facilitator)
    incidents = client.get("/api/v1/incidents/export.csv")
    assert b"Checkout down" in b"".join(incidents.streaming_content)
    near_misses = client.get("/api/v1/near-misses/export.csv")
    assert b"Almost dropped" in b"".join(near_misses.streaming_content)
    markdown = client.get(f"/api/v1/reviews/{published.pk}/export.md")
    assert markdown.status_code == 200
    assert b"What happened" in markdown.content
    assert client.get(f"/api/v1/reviews/{published.pk}/export.json").json()["id"] == published.pk
    assert client.post(f"/api/v1/reviews/{draft.pk}/publish.json").status_code == 400
    assert client.post(f"/api/v1/reviews/{published.pk}/survey.json").status_code == 403
    assert client.post("/api/v1/incidents/import.json", []).status_code == 201
