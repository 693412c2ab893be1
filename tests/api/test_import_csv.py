"""A CSV import that cannot be read as the header says is refused row by row, never with a 500
and never by dropping what does not fit: nothing is written."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from api.importing import MAX_IMPORT_ROWS
from incidents.models import Incident, System
from tests.api.conftest import client_for

URL = "/api/v1/incidents/import/"
HEADER = "title,started_at,systems\n"
ROW = "ok,2026-02-01T10:00:00Z,db\n"


def _post_csv(user, text: str):
    upload = SimpleUploadedFile("incidents.csv", text.encode(), content_type="text/csv")
    return client_for(user).post(URL, {"file": upload}, format="multipart")


def _refused(response) -> list[dict]:
    assert response.status_code == 400, response.content[:500]
    assert response.json()["detail"].startswith("Nothing was imported")
    assert not Incident.objects.exists()
    assert not System.objects.exists()
    return response.json()["errors"]


def test_a_field_over_the_csv_limit_is_an_error_on_its_row(responder):
    errors = _refused(_post_csv(responder, HEADER + ROW + "x" * 140_000 + ",2026-02-01,db\n"))
    assert [(e["row"], e["field"]) for e in errors] == [(2, None)]
    assert "longer than 131,072 characters" in errors[0]["message"]


def test_an_unterminated_quote_is_an_error_on_the_row_that_opens_it(responder):
    errors = _refused(_post_csv(responder, HEADER + ROW + '"never closed,2026-02-01,db\n' + ROW))
    assert [(e["row"], e["field"]) for e in errors] == [(2, None)]
    assert "quote" in errors[0]["message"]


def test_an_unterminated_quote_swallowing_a_large_file_is_an_error_not_a_500(responder):
    text = HEADER + '"never closed,2026-02-01,db\n' + ROW * 8_000  # > 128 KB after the quote
    errors = _refused(_post_csv(responder, text))
    assert [(e["row"], e["field"]) for e in errors] == [(1, None)]


def test_text_after_a_closing_quote_is_an_error(responder):
    errors = _refused(_post_csv(responder, HEADER + '"a"b,2026-02-01T10:00:00Z,db\n'))
    assert [(e["row"], e["field"]) for e in errors] == [(1, None)]


def test_a_row_with_more_fields_than_the_header_is_an_error_and_creates_no_system(responder):
    # An unquoted comma in the title shifts every column: "x" would have become a system.
    errors = _refused(_post_csv(responder, HEADER + ROW + "Disk, full,2026-02-01T10:00:00Z,x\n"))
    assert [(e["row"], e["field"]) for e in errors] == [(2, None)]
    assert "4 fields" in errors[0]["message"]
    assert "3" in errors[0]["message"]


def test_a_row_with_fewer_fields_than_the_header_is_an_error(responder):
    errors = _refused(_post_csv(responder, HEADER + "short,2026-02-01T10:00:00Z\n" + ROW))
    assert [(e["row"], e["field"]) for e in errors] == [(1, None)]


def test_every_malformed_row_is_named_not_only_the_first(responder):
    text = HEADER + "a,2026-02-01T10:00:00Z\n" + ROW + "b,2026-02-01T10:00:00Z,db,extra\n"
    assert [e["row"] for e in _refused(_post_csv(responder, text))] == [1, 3]


def test_an_unknown_column_is_an_error_not_silently_dropped(responder):
    errors = _refused(_post_csv(responder, "title,started_at,severty\nok,2026-02-01,SEV1\n"))
    assert [(e["row"], e["field"]) for e in errors] == [(None, "severty")]
    assert "severity" in errors[0]["message"]  # the known columns are listed


def test_a_repeated_column_is_an_error(responder):
    errors = _refused(_post_csv(responder, "title,started_at,title\nok,2026-02-01,again\n"))
    assert [(e["row"], e["field"]) for e in errors] == [(None, "title")]


def test_an_unnamed_column_may_stay_empty_but_not_hold_a_value(responder):
    ok = _post_csv(responder, "title,started_at,\nok,2026-02-01T10:00:00Z,\n")
    assert ok.status_code == 201, ok.json()
    Incident.objects.all().delete()
    errors = _refused(_post_csv(responder, "title,started_at,\nok,2026-02-01T10:00:00Z,lost\n"))
    assert [(e["row"], e["field"]) for e in errors] == [(1, None)]


def test_header_names_may_carry_spaces_around_them(responder):
    response = _post_csv(responder, "title , started_at\nok,2026-02-01T10:00:00Z\n")
    assert response.status_code == 201, response.json()


def test_an_unknown_field_in_a_json_row_is_an_error_on_its_row(responder):
    response = client_for(responder).post(
        URL,
        [
            {"title": "ok", "started_at": "2026-02-01T10:00:00Z"},
            {"title": "typo", "started_at": "2026-02-01T10:00:00Z", "severty": "SEV1"},
            {
                "title": "nested",
                "started_at": "2026-02-01T10:00:00Z",
                "systems": [{"name": "db", "rol": "origin"}],
            },
        ],
    )
    errors = _refused(response)
    assert [(e["row"], e["field"]) for e in errors] == [(2, "severty"), (3, "systems[0].rol")]


def test_a_lone_surrogate_in_a_json_row_is_an_error_on_its_field(responder):
    response = client_for(responder).post(
        URL,
        '[{"title": "bad \\ud800", "started_at": "2026-02-01T10:00:00Z"}]',
        content_type="application/json",
    )
    errors = _refused(response)
    assert [(e["row"], e["field"]) for e in errors] == [(1, "title")]
    assert "U+D800" in errors[0]["message"]


def test_a_team_or_lead_the_database_cannot_hold_is_a_field_error_not_a_500(responder):
    response = client_for(responder).post(
        URL,
        '[{"title": "t", "started_at": "2026-02-01T10:00:00Z", "teams": ["a\\ud800"], '
        '"lead": "x\\u0000"}]',
        content_type="application/json",
    )
    errors = _refused(response)
    assert sorted((e["row"], e["field"]) for e in errors) == [(1, "lead"), (1, "teams")]


def test_more_rows_than_the_limit_are_refused_before_anything_else(responder):
    rows = [{"title": "t", "started_at": "2026-02-01T10:00:00Z"}] * (MAX_IMPORT_ROWS + 1)
    response = client_for(responder).post(URL, rows)
    assert response.status_code == 400
    assert f"At most {MAX_IMPORT_ROWS} rows" in response.json()["detail"]
    text = "title,started_at\n" + "t,2026-02-01T10:00:00Z\n" * (MAX_IMPORT_ROWS + 1)
    response = _post_csv(responder, text)
    assert response.status_code == 400
    assert f"At most {MAX_IMPORT_ROWS} rows" in response.json()["detail"]
    assert not Incident.objects.exists()
