"""The snapshot file: values keep their types, and a file that is cut short, damaged, of
another format or of an unknown version is refused with a clear message before a restore
touches anything."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from django.core.management import CommandError, call_command

from backups.dump import row_counts
from backups.snapshot import SnapshotError, check_snapshot, decode, encode
from tests.backups.conftest import rewrite_snapshot
from tests.factories import IncidentFactory, SurpriseFactory


@pytest.fixture
def snapshot(db, tmp_path) -> Path:
    SurpriseFactory(incident=IncidentFactory(title="Checkout returns 502"))
    path = tmp_path / "snapshot.jsonl.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -7,
        2.5,
        float("inf"),
        "Ünïcode ✓ and a \x00 NUL",
        datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 0),  # SQLite's datetimes come back naive
        date(2026, 3, 1),
        time(10, 30, 5),
        timedelta(days=2, seconds=5, microseconds=7),
        Decimal("12.50"),
        UUID("12345678-1234-5678-1234-567812345678"),
        b"\x00\xffbytes",
    ],
)
def test_values_keep_their_type_through_the_file(value):
    assert decode(encode(value)) == value
    assert type(decode(encode(value))) is type(value)


def test_a_json_value_is_written_back_as_json_text():
    assert decode(encode({"a": [1, 2]})) == '{"a": [1, 2]}'


def test_a_complete_snapshot_reads_back_with_its_manifest(snapshot):
    manifest = check_snapshot(snapshot)
    assert manifest["tables"]["incidents_incident"] == 1
    assert manifest["tables"]["incidents_surprise"] == 1


def _cut(snapshot: Path, target: Path, keep: float) -> Path:
    data = snapshot.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def _damaged(snapshot: Path, target: Path) -> Path:
    data = bytearray(snapshot.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(byte ^ 0x55 for byte in data[middle : middle + 8])
    target.write_bytes(bytes(data))
    return target


def _without_the_incident(lines: list) -> list:
    header = next(
        index
        for index, line in enumerate(lines)
        if isinstance(line, dict) and line.get("name") == "incidents_incident"
    )
    return lines[: header + 1] + lines[header + 2 :]


def _gzipped(target: Path, text: str) -> Path:
    with gzip.open(target, "wt", encoding="utf-8") as file:
        file.write(text)
    return target


def _versioned(snapshot: Path, target: Path, version) -> Path:
    def edit(lines):
        lines[0]["format_version"] = version
        return lines

    return rewrite_snapshot(snapshot, target, edit)


BAD_FILES = {
    "cut short in the header": (lambda s, t: _cut(s, t, 0.001), "cut short"),
    "cut short in the middle": (lambda s, t: _cut(s, t, 0.5), "cut short"),
    "cut short in the checksum": (lambda s, t: _cut(s, t, 0.9999), "cut short"),
    "recompressed without its last lines": (
        lambda s, t: rewrite_snapshot(s, t, lambda lines: lines[:-3]),
        "ends before the snapshot does",
    ),
    "a row missing": (
        lambda s, t: rewrite_snapshot(s, t, _without_the_incident),
        "a row of incidents_incident is malformed",
    ),
    # Flipped bytes inside the compressed stream: either gzip's checksum says so, or what they
    # decompress to is read first and is not a row (which happens first depends on the data).
    "damaged in the middle": (_damaged, "(damaged|a row of [a-z_]+ is malformed)"),
    "a newer format version": (lambda s, t: _versioned(s, t, 2), "format version 2 is not one"),
    "no format version": (lambda s, t: _versioned(s, t, None), "format version None"),
    "not gzip": (
        lambda s, t: t.write_text("# Incident-review tracker\n") and t,
        "not a readable snapshot",
    ),
    "empty": (lambda s, t: _gzipped(t, ""), "the file is empty"),
    "another application's JSON lines": (
        lambda s, t: _gzipped(t, '{"model": "auth.user"}\n'),
        "not a snapshot of this application",
    ),
    "missing": (lambda s, t: t, "cannot open it"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_refused_with_a_clear_error_and_nothing_changes(snapshot, tmp_path, kind):
    make, message = BAD_FILES[kind]
    bad = make(snapshot, tmp_path / "bad.jsonl.gz")
    with pytest.raises(SnapshotError, match=message):
        check_snapshot(bad)
    # The database holds data; the file is refused before that is even looked at.
    before = row_counts()
    with pytest.raises(CommandError, match=f"Nothing was restored from {bad}: .*{message}"):
        call_command("restore", str(bad), "--replace", stdout=io.StringIO())
    assert row_counts() == before


def test_a_snapshot_from_a_newer_release_is_refused(snapshot, tmp_path):
    def edit(lines):
        lines[0]["migrations"]["incidents"].append("0099_from_the_future")
        return lines

    newer = rewrite_snapshot(snapshot, tmp_path / "newer.jsonl.gz", edit)
    with pytest.raises(CommandError, match=r"incidents\.0099_from_the_future.*newer release"):
        call_command("restore", str(newer), "--replace", stdout=io.StringIO())


def test_a_snapshot_of_another_database_engine_is_refused(snapshot, tmp_path):
    def edit(lines):
        lines[0]["database"]["vendor"] = "oracle"
        return lines

    other = rewrite_snapshot(snapshot, tmp_path / "oracle.jsonl.gz", edit)
    with pytest.raises(CommandError, match="of a oracle database; it restores onto oracle only"):
        call_command("restore", str(other), "--replace", stdout=io.StringIO())


def test_a_database_with_data_is_refused_without_replace(snapshot):
    before = row_counts()
    with pytest.raises(CommandError, match=r"the database is not empty .*pass --replace"):
        call_command("restore", str(snapshot), stdout=io.StringIO())
    assert row_counts() == before
