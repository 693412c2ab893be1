"""Intervals: exact (Garwood) Poisson intervals for counts and rates, Wilson intervals for shares."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300


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
