"""Durations (time to detect, to resolve): medians, percentiles and a log histogram, never a
bare mean."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# --- durations --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """q-th percentile (0-100) with linear interpolation, as numpy's default; empty -> error."""
    if not values:
        raise ValueError("percentile of empty data")
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def median(values: Sequence[float]) -> float:
    """Median: durations are heavily skewed, so this (not the mean) is the typical value."""
    return percentile(values, 50)


_MINUTE, _HOUR, _DAY = 60, 3600, 86400
# Log-ish edges in seconds: resolution where responders feel it, coarse for long tails.
_EDGES = (
    0,
    _MINUTE,
    2 * _MINUTE,
    5 * _MINUTE,
    10 * _MINUTE,
    15 * _MINUTE,
    30 * _MINUTE,
    _HOUR,
    2 * _HOUR,
    4 * _HOUR,
    8 * _HOUR,
    _DAY,
    2 * _DAY,
    7 * _DAY,
    math.inf,
)
_LABELS = (
    "< 1 min",
    "1-2 min",
    "2-5 min",
    "5-10 min",
    "10-15 min",
    "15-30 min",
    "30-60 min",
    "1-2 h",
    "2-4 h",
    "4-8 h",
    "8-24 h",
    "1-2 days",
    "2-7 days",
    "1 week or more",
)


@dataclass(frozen=True)
class DurationSummary:
    """Median and p90 of durations plus log-scale bins; median/p90 are None when n = 0."""

    n: int
    median: float | None
    p90: float | None
    small_sample: bool
    log_histogram_bins: list[tuple[str, int]]


# (label, lower bound inclusive, upper bound exclusive) in seconds, for databases that bin.
DURATION_BINS: tuple[tuple[str, float, float], ...] = tuple(
    (label, _EDGES[i], _EDGES[i + 1]) for i, label in enumerate(_LABELS)
)
SMALL_SAMPLE = 30


def duration_summary_from_parts(
    *,
    n: int,
    median: float | None,
    p90: float | None,
    counts: Sequence[int],
    small_sample: int = SMALL_SAMPLE,
) -> DurationSummary:
    """The same summary, from a median, p90 and bin counts the database computed."""
    if len(counts) != len(_LABELS):
        raise ValueError("need one count per duration bin")
    return DurationSummary(
        n=n,
        median=median if n else None,
        p90=p90 if n else None,
        small_sample=n < small_sample,
        log_histogram_bins=list(zip(_LABELS, counts, strict=True)),
    )


def duration_summary(seconds: Sequence[float], small_sample: int = SMALL_SAMPLE) -> DurationSummary:
    """Summarise durations (in seconds) without a mean; flags samples too small to trust."""
    if any(not 0 <= value < math.inf for value in seconds):  # also rejects NaN
        raise ValueError("durations must be finite, non-negative numbers")
    counts = [0] * len(_LABELS)
    for value in seconds:
        for index in range(len(_LABELS)):
            if value < _EDGES[index + 1]:
                counts[index] += 1
                break
    n = len(seconds)
    return DurationSummary(
        n=n,
        median=median(seconds) if n else None,
        p90=percentile(seconds, 90) if n else None,
        small_sample=n < small_sample,
        log_histogram_bins=list(zip(_LABELS, counts, strict=True)),
    )
