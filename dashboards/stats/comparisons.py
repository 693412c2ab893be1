"""Did it change? Exact tests that compare one period with the last, and can answer "no
detectable change"."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

MORE = "more"
FEWER = "fewer"
NO_CHANGE = "no detectable change"

# scipy.stats.binomtest treats probabilities within this relative tolerance as ties.
_TIE_TOLERANCE = 1 + 1e-7


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
