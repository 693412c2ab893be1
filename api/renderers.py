"""CSV for every list and report: `?format=csv` or `Accept: text/csv`.

Nested values are flattened so a spreadsheet can read them: an object becomes dotted columns
(`rate.estimate`), a list becomes one cell joined with "; " (`api-gateway:origin; db:impacted`).
Lists stream (see `api.exports`); this renderer serves the small, already computed payloads
(reports, a single page).
"""

from __future__ import annotations

import csv
import io
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
    """The columns are every key met, in the order met."""
    flat = [flatten(row) for row in rows_of(data)]
    header: list[str] = []
    for row in flat:
        header.extend(key for key in row if key not in header)
    out = io.StringIO()
    writer = csv.writer(out)
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
