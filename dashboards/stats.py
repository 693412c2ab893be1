"""Honest statistics for the dashboards: intervals, exact tests and medians, never bare means.

Small incident counts swing wildly by chance, so every number shown on a dashboard comes with
an interval, and every "up/down" claim comes from a test that can say "no detectable change".
Standard library only, so the dashboards need no scipy/numpy in the deployed image.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

MORE = "more"
FEWER = "fewer"
NO_CHANGE = "no detectable change"

_EPS = 1e-15
_TINY = 1e-300
# scipy.stats.binomtest treats probabilities within this relative tolerance as ties.
_TIE_TOLERANCE = 1 + 1e-7


# --- gamma / chi-square quantiles -------------------------------------------------------------


def _gamma_pq(a: float, x: float) -> tuple[float, float]:
    """Regularized incomplete gamma (P, Q); series below a+1, continued fraction above.

    Returns both tails so far-tail quantiles stay accurate (no 1 - P cancellation).
    """
    if x <= 0:
        return 0.0, 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    max_iter = 200 + int(20 * math.sqrt(a))
    if x < a + 1:
        denom = a
        term = total = 1.0 / a
        for _ in range(max_iter):
            denom += 1
            term *= x / denom
            total += term
            if term < total * _EPS:
                break
        p = min(1.0, total * math.exp(log_prefix))
        return p, 1.0 - p
    # Modified Lentz evaluation of the continued fraction for Q (Numerical Recipes gcf).
    b = x + 1 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, max_iter):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    q = min(1.0, math.exp(log_prefix) * h)
    return 1.0 - q, q


def _gamma_ppf(p: float, a: float) -> float:
    """Quantile of Gamma(shape=a, scale=1) by bracketed Newton; robust for a up to 1e7."""
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    z = NormalDist().inv_cdf(p)
    wh = 1 - 1 / (9 * a) + z * math.sqrt(1 / (9 * a))  # Wilson-Hilferty start
    x = a * wh**3 if wh > 0 else math.exp((math.log(p) + math.lgamma(a + 1)) / a)
    lo, hi = 0.0, math.inf
    for _ in range(200):
        lower, upper = _gamma_pq(a, x)
        f = lower - p if p <= 0.5 else (1 - p) - upper
        if f == 0:
            return x
        if f < 0:
            lo = x
        else:
            hi = x
        density = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
        step = f / density if density > 0 else math.inf
        new_x = x - step
        if not lo < new_x < hi:  # Newton left the bracket: bisect (or grow) instead
            new_x = (lo + hi) / 2 if hi < math.inf else max(2 * x, lo + 1)
        if abs(new_x - x) <= 1e-13 * max(x, 1e-300):
            return new_x
        x = new_x
    return x


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be strictly between 0 and 1")
    return 1 - confidence


@functools.lru_cache(maxsize=4096)  # pure, and dashboards ask for the same small counts often
def garwood_interval(k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) Poisson interval for a count: conservative, and sane even for k = 0."""
    if k < 0:
        raise ValueError("count must be non-negative")
    alpha = _check_confidence(confidence)
    # chi2.ppf(q, 2k) / 2 is the gamma(k) quantile, so solve for that directly.
    lower = 0.0 if k == 0 else _gamma_ppf(alpha / 2, k)
    upper = _gamma_ppf(1 - alpha / 2, k + 1)
    return lower, upper


@dataclass(frozen=True)
class RateEstimate:
    """A rate with its interval; None when there is no exposure to divide by."""

    count: int
    exposure: float
    estimate: float | None
    lower: float | None
    upper: float | None


def poisson_rate(
    k: int, exposure: float, per: float = 1.0, confidence: float = 0.95
) -> RateEstimate:
    """Events per `per` units of exposure (e.g. per 30 days), with a Garwood interval."""
    if exposure < 0:
        raise ValueError("exposure must be non-negative")
    if exposure == 0:
        garwood_interval(k, confidence)  # still validate the arguments
        return RateEstimate(k, exposure, None, None, None)
    lower, upper = garwood_interval(k, confidence)
    scale = per / exposure
    return RateEstimate(k, exposure, k * scale, lower * scale, upper * scale)


# --- proportions ------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval: stays inside [0, 1] and behaves at 0/n and n/n, unlike Wald.

    With n = 0 nothing is known, so the interval is the whole range (0.0, 1.0).
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError("need 0 <= successes <= n")
    alpha = _check_confidence(confidence)
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(1 - alpha / 2)
    share = successes / n
    z2n = z * z / n
    denom = 1 + z2n
    centre = (share + z2n / 2) / denom
    half = z * math.sqrt(share * (1 - share) / n + z2n / (4 * n)) / denom
    lower = 0.0 if successes == 0 else min(share, max(0.0, centre - half))
    upper = 1.0 if successes == n else max(share, min(1.0, centre + half))
    return lower, upper


@dataclass(frozen=True)
class Proportion:
    """A share with its Wilson interval; estimate is None when n = 0."""

    successes: int
    n: int
    estimate: float | None
    lower: float
    upper: float


def proportion(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Share of successes with a Wilson interval, ready for display."""
    lower, upper = wilson_interval(successes, n, confidence)
    return Proportion(successes, n, successes / n if n else None, lower, upper)


# --- comparisons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Outcome of comparing current with previous; verdict is MORE, FEWER or NO_CHANGE.

    For rate_ratio_test current/previous are the counts; for two_proportion_test the shares.
    """

    current: float
    previous: float
    p_value: float
    verdict: str


def _verdict(p_value: float, alpha: float, direction: float) -> str:
    if p_value < alpha and direction > 0:
        return MORE
    if p_value < alpha and direction < 0:
        return FEWER
    return NO_CHANGE


def _binom_logpmf(i: int, n: int, log_p: float, log_q: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * log_p
        + (n - i) * log_q
    )


@functools.lru_cache(maxsize=8192)  # pure; a systems table repeats the same small counts
def _binom_two_sided(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial p-value by the method of small p-values (as scipy binomtest).

    Sums only the terms that matter, walking outwards from each tail's boundary, so it costs
    O(sqrt(n)) pmf evaluations instead of O(n).
    """
    log_p, log_q = math.log(p), math.log1p(-p)

    def logpmf(i: int) -> float:
        return _binom_logpmf(i, n, log_p, log_q)

    threshold = logpmf(k) + math.log(_TIE_TOLERANCE)
    negligible = threshold - 40  # remaining terms are < e^-40 of P(observed) <= p-value
    mode = min(n, math.floor((n + 1) * p))

    # Left of (and including) the mode the pmf rises: find the last index at/below threshold.
    lo, hi, left = 0, mode, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        if logpmf(mid) <= threshold:
            left, lo = mid, mid + 1
        else:
            hi = mid - 1
    # Right of the mode the pmf falls: find the first index at/below threshold.
    lo, hi, right = mode + 1, n, n + 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if logpmf(mid) <= threshold:
            right, hi = mid, mid - 1
        else:
            lo = mid + 1

    total = 0.0
    for indices in (range(left, -1, -1), range(right, n + 1)):
        for i in indices:
            term = logpmf(i)
            if term < negligible:
                break
            total += math.exp(term)
    return min(1.0, total)


def rate_ratio_test(
    current: int,
    previous: int,
    current_exposure: float = 1.0,
    previous_exposure: float = 1.0,
    alpha: float = 0.05,
) -> Comparison:
    """Did the event rate change? Exact conditional binomial test on the two counts.

    Given n = current + previous, current ~ Binomial(n, e1 / (e1 + e2)) if rates are equal.
    """
    if current < 0 or previous < 0:
        raise ValueError("counts must be non-negative")
    if current_exposure <= 0 or previous_exposure <= 0:
        raise ValueError("exposures must be positive")
    n = current + previous
    if n == 0:
        return Comparison(current, previous, 1.0, NO_CHANGE)
    p0 = current_exposure / (current_exposure + previous_exposure)
    p_value = _binom_two_sided(current, n, p0)
    direction = current * previous_exposure - previous * current_exposure
    return Comparison(current, previous, p_value, _verdict(p_value, alpha, direction))


def two_proportion_test(s1: int, n1: int, s2: int, n2: int, alpha: float = 0.05) -> Comparison:
    """Did the share change (s1/n1 now vs s2/n2 before)? Pooled two-proportion z-test."""
    if n1 < 0 or n2 < 0 or not 0 <= s1 <= n1 or not 0 <= s2 <= n2:
        raise ValueError("need 0 <= successes <= n for both groups")
    share1 = s1 / n1 if n1 else 0.0
    share2 = s2 / n2 if n2 else 0.0
    if n1 == 0 or n2 == 0:
        return Comparison(share1, share2, 1.0, NO_CHANGE)
    pooled = (s1 + s2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return Comparison(share1, share2, 1.0, NO_CHANGE)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (share1 - share2) / se
    p_value = min(1.0, math.erfc(abs(z) / math.sqrt(2)))
    return Comparison(share1, share2, p_value, _verdict(p_value, alpha, share1 - share2))


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
