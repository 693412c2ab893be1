"""Reading an import: a JSON array or a CSV file into rows, and errors into per-row entries.

The rows are then validated by `ImportRowSerializer` and written by
`incidents.services.incidents_import`, all or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from rest_framework.exceptions import ValidationError

from api.parsers import load_json
from incidents.models import Incident

# How many incidents one request may import: a limit on the request, like its size in bytes.
MAX_IMPORT_ROWS = 10_000


def parse_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no", ""}:
        return False
    raise ValidationError({name: [f"{value!r} is not a boolean; use true or false."]})


_CSV_LIST_COLUMNS = {"teams"}
_CSV_JSON_COLUMNS = {"surprises", "difficulties", "ownership_gaps"}


class ImportRefused(ValidationError):
    """Nothing was imported: a 400 with one entry per row (and field) that is wrong, the same
    shape whether the CSV could not be read, a row did not validate, or rows clash."""

    def __init__(self, errors: list[dict], detail: str | None = None):
        super().__init__(errors)
        self.body = {
            "detail": detail or f"Nothing was imported: {len(errors)} error(s).",
            "errors": errors,
        }


def request_rows(request, *, columns: Iterable[str], noun: str = "incidents") -> list:
    """The rows of a JSON array, or of a CSV file (`file`) whose header names `columns`."""
    upload = request.FILES.get("file") if hasattr(request, "FILES") else None
    if upload is None:
        data = request.data
        if not isinstance(data, list):
            raise ValidationError(
                {"non_field_errors": [f"Send a JSON array of {noun}, or a CSV file as `file`."]}
            )
        if len(data) > MAX_IMPORT_ROWS:
            raise ValidationError({"non_field_errors": [f"At most {MAX_IMPORT_ROWS} rows."]})
        return data
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError({"file": ["The file is not UTF-8 text."]}) from error
    rows = [_csv_row(record) for record in _csv_records(text, set(columns))]
    if not rows:
        raise ValidationError({"file": ["The file holds no rows."]})
    return rows


def _error(row: int | None, field: str | None, message: str) -> dict:
    return {"row": row, "field": field, "message": message}


def _csv_problem(error: csv.Error) -> str:
    message = str(error)
    if "field limit" in message:
        return (
            f"A field is longer than {csv.field_size_limit():,} characters (the CSV limit), "
            "or a quote opened in this row is never closed."
        )
    if "unexpected end of data" in message:
        return "A quote opened in this row is never closed."
    return f"Not valid CSV ({message}): quote a value that holds a quote, comma or line break."


def _header(record: list[str], columns: set[str]) -> list[str]:
    header = [name.strip() for name in record]
    known = ", ".join(sorted(columns))
    errors = [
        _error(None, name, f"Unknown column; the columns are: {known}.")
        for name in dict.fromkeys(header)
        if name and name not in columns
    ]
    errors += [
        _error(None, name, "This column appears more than once.")
        for name in dict.fromkeys(header)
        if name and header.count(name) > 1
    ]
    if errors:
        raise ImportRefused(errors)
    return header


def _csv_records(text: str, columns: set[str]) -> list[dict[str, str]]:
    """The data rows as {column: value}, checked against the header.

    `strict` makes the csv module refuse broken quoting instead of guessing. A row whose
    number of fields differs from the header's is refused, not padded or cut: an unquoted comma
    shifts every later column (a title's end would become a system). Errors are collected per
    row; after a csv.Error nothing later can be read reliably, so it is the last one.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[dict] = []
    records: list[dict[str, str]] = []
    header: list[str] | None = None
    number = 0
    try:
        for record in reader:
            if header is None:
                header = _header(record, columns)
                continue
            if not record:  # a blank line
                continue
            number += 1
            if number > MAX_IMPORT_ROWS:
                raise ValidationError({"file": [f"At most {MAX_IMPORT_ROWS} rows."]})
            if len(record) != len(header):
                errors.append(
                    _error(
                        number,
                        None,
                        f"{len(record)} fields where the header has {len(header)}: quote a "
                        "value that holds a comma.",
                    )
                )
                continue
            if any(value for name, value in zip(header, record, strict=True) if not name):
                errors.append(_error(number, None, "A value in a column without a name."))
                continue
            records.append(dict(zip(header, record, strict=True)))
    except csv.Error as error:
        errors.append(_error(number + 1 if header is not None else None, None, _csv_problem(error)))
    if errors:
        raise ImportRefused(errors)
    return records


def _csv_row(record: dict[str, str]) -> dict:
    row = {key: value for key, value in record.items() if key and value != ""}
    if "systems" in row:
        row["systems"] = [
            dict(
                zip(
                    ("name", "role"),
                    (part.strip() for part in item.split(":", 1)),
                    strict=False,
                )
            )
            for item in row["systems"].split(";")
            if item.strip()
        ]
    for column in _CSV_LIST_COLUMNS & set(row):
        row[column] = [item.strip() for item in row[column].split(";") if item.strip()]
    for column in _CSV_JSON_COLUMNS & set(row):
        try:
            row[column] = load_json(row[column])
        except ValueError:
            row[column] = {"__invalid__": "not JSON"}
    return row


def _flatten_errors(errors, path: str = "") -> list[tuple[str, str]]:
    if isinstance(errors, dict):
        found = []
        for key, value in errors.items():
            if isinstance(key, int):  # DRF keys the errors of list items by index
                found += _flatten_errors(value, f"{path}[{key}]")
                continue
            name = key if key != "non_field_errors" else ""
            found += _flatten_errors(value, f"{path}.{name}" if path and name else name or path)
        return found
    if isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            return [(path, str(item)) for item in errors]
        found = []
        for index, item in enumerate(errors):
            found += _flatten_errors(item, f"{path}[{index}]")
        return found
    return [(path, str(errors))]


def row_errors(errors) -> list[dict]:
    """[{"row": 3, "field": "systems[0].role", "message": ...}], rows counted from 1."""
    if isinstance(errors, dict) and not all(isinstance(key, int) for key in errors):
        return [
            {"row": None, "field": field or None, "message": message}
            for field, message in _flatten_errors(errors)
        ]
    by_index = errors.items() if isinstance(errors, dict) else enumerate(errors)
    found = []
    for index, row_errors in sorted(by_index):
        for field, message in _flatten_errors(row_errors):
            found.append({"row": index + 1, "field": field or None, "message": message})
    return found


def duplicate_rows(rows) -> list[dict]:
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for number, row in enumerate(rows, start=1):
        external_id = row.get("external_id", "")
        if not external_id:
            continue
        key = (row["source"], external_id)
        if key in seen:
            errors.append(
                {
                    "row": number,
                    "field": "external_id",
                    "message": f"Same source and external id as row {seen[key]}.",
                }
            )
        seen.setdefault(key, number)
    return errors


def skipped_as_seen_by(user, skipped: list[dict]) -> list[dict]:
    """The skipped rows as this importer may read them: a private incident they may not see
    is named by no reference, as the single create's 409 names none. (That the row was
    skipped says the pair exists; the unique constraint allows no less.)"""
    references = [row["reference"] for row in skipped]
    seen = set(
        Incident.objects.visible_to(user)
        .filter(reference__in=references)
        .values_list("reference", flat=True)
    )
    return [
        {**row, "reference": row["reference"] if row["reference"] in seen else None}
        for row in skipped
    ]
