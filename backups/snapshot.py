"""The snapshot file: a gzip of JSON lines, the manifest first, then every table's rows.

    line 1          {"kind": "manifest", "format": FORMAT, "format_version": 1, ...}
    per table       {"kind": "table", "name": "auth_user", "columns": ["id", ...], "rows": N}
                    then N lines, each a JSON array: one row's values, in column order
    last line       {"kind": "end", "tables": T, "rows": R}

Why this shape rather than a tar.gz of per-table files: the dump writes it, and the restore
reads it, as one stream in one pass, table by table, so a backup of any size needs no
temporary files and little memory; the manifest is the first line, so `zcat FILE | head -1`
says what a file holds without unpacking anything; and gzip's checksum, the row count in each
table's header and the end line together catch a file that was cut short or damaged.

Values are stored as the database driver returned them (row level, not Django's serialiser:
see backups/dump.py). JSON's own types are stored as they are; others as a one-key object,
{"$datetime": "2026-01-02T03:04:05+00:00"}, which no driver returns for a plain value.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

FORMAT = "incident-review-tracker-snapshot"
FORMAT_VERSION = 1
SUFFIX = ".jsonl.gz"
# Level 6, gzip's own default: level 9 takes about twice as long for a few per cent.
_COMPRESSLEVEL = 6
_MANIFEST_KEYS = {
    "created_at": str,
    "migrations": dict,
    "tables": dict,
    "skipped_tables": dict,
    "sequences": dict,
    "database": dict,
}


class SnapshotError(Exception):
    """The file is not a snapshot this code can restore: missing, damaged, cut short, another
    format or another format version. The message says which, for the person restoring."""


# --- values ----------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A value as the database driver returned it, as JSON."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict | list):  # a json (not jsonb) column, decoded by the driver
        return {"$json": value}
    raise TypeError(f"a snapshot cannot store a {type(value).__name__} ({value!r})")


_DECODERS = {
    "$float": float,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$timedelta": lambda parts: timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]),
    "$decimal": Decimal,
    "$uuid": UUID,
    "$bytes": base64.b64decode,
    # Written back as JSON text: a json column takes it, as Django itself writes it.
    "$json": json.dumps,
}


def decode(value: Any) -> Any:
    """The value to write back, from its JSON form (see `encode`)."""
    if type(value) is not dict:
        return value
    ((tag, raw),) = value.items()
    return _DECODERS[tag](raw)


# --- writing ---------------------------------------------------------------------------------


def _dumps(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


class SnapshotWriter:
    """Writes one snapshot file. It is created only if it does not exist, readable by its
    owner alone: it holds password hashes and every private incident."""

    def __init__(self, path: Path):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._raw = os.fdopen(descriptor, "wb")
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=_COMPRESSLEVEL)
        self._tables = 0
        self._rows = 0

    def _write(self, item: Any) -> None:
        self._gzip.write(_dumps(item).encode("utf-8"))

    def manifest(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Writes the manifest line; returns it as written (with the format and version)."""
        written = {"kind": "manifest", "format": FORMAT, "format_version": FORMAT_VERSION}
        written |= manifest
        self._write(written)
        return written

    def table(self, name: str, columns: list[str], rows: Iterable[tuple], expected: int) -> None:
        """One table: its header, then its rows. `expected` is the count the manifest holds;
        read in the same transaction, the rows must match it."""
        self._write({"kind": "table", "name": name, "columns": columns, "rows": expected})
        written = 0
        for row in rows:
            self._write([encode(value) for value in row])
            written += 1
        if written != expected:
            raise SnapshotError(f"{name}: counted {expected} rows but read {written}")
        self._tables += 1
        self._rows += written

    def close(self, *, complete: bool) -> None:
        """Ends the file: the end line only when every table was written."""
        if complete:
            self._write({"kind": "end", "tables": self._tables, "rows": self._rows})
        self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: int


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest (first line), checked: a snapshot of this format, in a version this code
    reads. Quick: it does not read the tables (`check_snapshot` does)."""
    with _lines(path) as lines:
        return _manifest(next(lines, None))


def check_snapshot(path: Path) -> dict[str, Any]:
    """Reads the whole file and returns its manifest if every table is complete and matches
    it, else raises SnapshotError saying what is wrong. Nothing is written anywhere."""
    manifest = None
    seen: dict[str, int] = {}
    for item in _items(path):
        if manifest is None:
            manifest = item
        elif isinstance(item, Table):
            seen[item.name] = item.rows
    assert manifest is not None  # _items raises on an empty file
    expected = {name: int(count) for name, count in manifest["tables"].items()}
    if seen != expected:
        missing = sorted(set(expected) - set(seen))
        raise SnapshotError(
            "the tables do not match the manifest"
            + (f" (missing: {', '.join(missing)})" if missing else "")
            + "; the file is damaged."
        )
    return manifest


def table_rows(path: Path) -> Iterator[tuple[Table, Iterator[list[Any]]]]:
    """Each table and an iterator over its decoded rows, in file order, streamed: a table of
    any size is never held in memory. Rows a caller leaves unread are skipped."""
    items = _items(path)
    next(items)  # the manifest
    for table in items:
        left = [table.rows]

        def rows(left=left) -> Iterator[list[Any]]:
            while left[0]:
                left[0] -= 1
                yield [decode(value) for value in next(items)]

        reader = rows()
        yield table, reader
        for _unread in reader:
            pass


def _items(path: Path) -> Iterator[Any]:
    """The manifest, then a Table per table header, then each row (a list); checks the
    structure as it goes and that the end line closes it."""
    with _lines(path) as lines:
        yield _manifest(next(lines, None))
        table: Table | None = None
        left = 0
        tables = rows = 0
        for number, line in enumerate(lines, start=2):
            item = _parse(line, number)
            if left:
                if not isinstance(item, list) or len(item) != len(table.columns):
                    raise SnapshotError(f"line {number}: a row of {table.name} is malformed.")
                left -= 1
                rows += 1
                yield item
                continue
            kind = item.get("kind") if isinstance(item, dict) else None
            if kind == "table":
                table = _table(item, number)
                left = table.rows
                tables += 1
                yield table
            elif kind == "end":
                if item.get("tables") != tables or item.get("rows") != rows:
                    raise SnapshotError(f"line {number}: the end line does not match the file.")
                if next(lines, None) is not None:
                    raise SnapshotError(f"line {number + 1}: data after the end of the snapshot.")
                return
            else:
                raise SnapshotError(f"line {number}: expected a table header or the end line.")
        raise SnapshotError(
            "the file ends before the snapshot does (cut short while it was written or copied)."
        )


class _lines:
    """The file's lines, with every way of being unreadable turned into a SnapshotError."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> Iterator[str]:
        try:
            self._file = gzip.open(self.path, "rt", encoding="utf-8")
        except OSError as error:
            raise SnapshotError(f"cannot open it: {error.strerror or error}.") from None
        return self._guarded()

    def _guarded(self) -> Iterator[str]:
        try:
            yield from self._file
        except EOFError:
            raise SnapshotError("the file is cut short (its compressed data ends early).") from None
        except (OSError, zlib.error, UnicodeDecodeError) as error:
            raise SnapshotError(
                f"not a readable snapshot (not gzip, or damaged: {error})."
            ) from None

    def __exit__(self, *exc_info) -> None:
        self._file.close()


def _parse(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise SnapshotError(f"line {number}: not JSON; the file is damaged.") from None


def _manifest(line: str | None) -> dict[str, Any]:
    if line is None:
        raise SnapshotError("the file is empty.")
    manifest = _parse(line, 1)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot of this application (no {FORMAT!r} manifest).")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise SnapshotError(
            f"snapshot format version {version!r} is not one this code reads "
            f"(it reads version {FORMAT_VERSION}); restore it with the release that wrote it."
        )
    for key, kind in _MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            raise SnapshotError(f"the manifest has no valid {key!r}; the file is damaged.")
    return manifest


def _table(item: dict, number: int) -> Table:
    name, columns, rows = item.get("name"), item.get("columns"), item.get("rows")
    if (
        not isinstance(name, str)
        or not isinstance(columns, list)
        or not all(isinstance(column, str) for column in columns)
        or not isinstance(rows, int)
        or rows < 0
    ):
        raise SnapshotError(f"line {number}: a malformed table header.")
    return Table(name, columns, rows)
