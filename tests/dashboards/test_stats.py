"""Tests for dashboards.stats: known reference values (scipy/R) plus property tests."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards.stats import (
    FEWER,
    MORE,
    NO_CHANGE,
    duration_summary,
    garwood_interval,
    median,
    percentile,
    poisson_rate,
    proportion,
    rate_ratio_test,
    two_proportion_test,
    wilson_interval,
)


def _brute_force_binomtest(k: int, n: int, p: float) -> float:
    """Reference two-sided p-value summing every term, as scipy.stats.binomtest does."""
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7)))


# --- Garwood / Poisson rates ------------------------------------------------------------------


def test_garwood_interval_for_zero_events_starts_at_zero():
    assert garwood_interval(0) == (0.0, pytest.approx(3.689, rel=1e-3))


@pytest.mark.parametrize(
    ("k", "lower", "upper"),
    [(1, 0.0253, 5.572), (10, 4.795, 18.39), (100, 81.36, 121.6)],
)
def test_garwood_interval_matches_reference_values(k, lower, upper):
    assert garwood_interval(k) == (
        pytest.approx(lower, rel=1e-3),
        pytest.approx(upper, rel=1e-3),
    )


def test_garwood_interval_widens_with_higher_confidence():
    low95, high95 = garwood_interval(5, 0.95)
    low99, high99 = garwood_interval(5, 0.99)
    assert low99 < low95 < 5 < high95 < high99


def test_garwood_interval_for_a_million_events_is_close_to_normal_approximation():
    lower, upper = garwood_interval(10**6)
    assert lower == pytest.approx(10**6 - 1.96 * 1000, rel=1e-5)
    assert upper == pytest.approx(10**6 + 1.96 * 1000, rel=1e-5)


def test_garwood_interval_rejects_negative_counts_and_bad_confidence():
    with pytest.raises(ValueError, match="non-negative"):
        garwood_interval(-1)
    with pytest.raises(ValueError, match="confidence"):
        garwood_interval(3, confidence=1.0)


@given(st.integers(min_value=0, max_value=10**6))
def test_garwood_interval_contains_the_count(k):
    lower, upper = garwood_interval(k)
    assert 0 <= lower <= k <= upper


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=2, max_value=10))
def test_garwood_rate_interval_narrows_with_more_exposure_at_the_same_rate(k, factor):
    small = poisson_rate(k, 10.0)
    large = poisson_rate(k * factor, 10.0 * factor)
    assert large.upper - large.lower < small.upper - small.lower


def test_poisson_rate_scales_estimate_and_interval_per_unit():
    rate = poisson_rate(10, 60.0, per=30.0)
    assert rate.estimate == pytest.approx(5.0)
    assert rate.lower == pytest.approx(4.795 / 2, rel=1e-3)
    assert rate.upper == pytest.approx(18.39 / 2, rel=1e-3)


def test_poisson_rate_without_exposure_has_no_estimate():
    rate = poisson_rate(3, 0)
    assert (rate.count, rate.estimate, rate.lower, rate.upper) == (3, None, None, None)


@given(
    st.integers(min_value=0, max_value=10**5),
    st.floats(min_value=1e-3, max_value=1e6),
)
def test_poisson_rate_estimate_lies_inside_its_interval(k, exposure):
    rate = poisson_rate(k, exposure)
    assert rate.lower <= rate.estimate <= rate.upper


# --- Wilson / proportions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "lower", "upper"),
    [(5, 10, 0.2366, 0.7634), (3, 40, 0.02584, 0.1986)],
)
def test_wilson_interval_matches_reference_values(successes, n, lower, upper):
    assert wilson_interval(successes, n) == (
        pytest.approx(lower, rel=1e-3),
        pytest.approx(upper, rel=1e-3),
    )


def test_wilson_interval_for_no_successes_starts_at_zero():
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, rel=1e-3))


def test_wilson_interval_for_all_successes_ends_at_one():
    lower, upper = wilson_interval(10, 10)
    assert upper == 1.0
    assert lower == pytest.approx(1 - 0.2775, rel=1e-3)


def test_wilson_interval_with_no_trials_is_the_whole_range():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert proportion(0, 0).estimate is None


def test_wilson_interval_rejects_more_successes_than_trials():
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)


@st.composite
def _successes_and_trials(draw):
    n = draw(st.integers(min_value=1, max_value=10**6))
    return draw(st.integers(min_value=0, max_value=n)), n


@given(_successes_and_trials())
def test_proportion_estimate_lies_inside_wilson_interval(pair):
    result = proportion(*pair)
    assert 0.0 <= result.lower <= result.estimate <= result.upper <= 1.0


@given(_successes_and_trials(), st.integers(min_value=2, max_value=10))
def test_wilson_interval_narrows_as_the_sample_grows_at_the_same_share(pair, factor):
    successes, n = pair
    lower, upper = wilson_interval(successes, n)
    big_lower, big_upper = wilson_interval(successes * factor, n * factor)
    assert big_upper - big_lower < upper - lower


# --- rate ratio test --------------------------------------------------------------------------


def test_rate_ratio_test_detects_doubling_from_fifteen_to_thirty():
    result = rate_ratio_test(30, 15)
    assert result.p_value == pytest.approx(0.0357, rel=1e-3)
    assert result.verdict == MORE


def test_rate_ratio_test_reports_no_detectable_change_for_twelve_versus_eight():
    result = rate_ratio_test(12, 8)
    assert result.p_value == pytest.approx(0.503, rel=1e-3)
    assert result.verdict == NO_CHANGE


def test_rate_ratio_test_says_fewer_when_the_rate_drops():
    assert rate_ratio_test(15, 30).verdict == FEWER


def test_rate_ratio_test_accounts_for_exposure():
    # 30 events in 2 weeks vs 15 in 1 week is the same weekly rate.
    result = rate_ratio_test(30, 15, current_exposure=2.0, previous_exposure=1.0)
    assert result.p_value == pytest.approx(1.0)
    assert result.verdict == NO_CHANGE


def test_rate_ratio_test_with_no_events_has_p_value_one():
    result = rate_ratio_test(0, 0)
    assert (result.p_value, result.verdict) == (1.0, NO_CHANGE)


def test_rate_ratio_test_rejects_non_positive_exposure():
    with pytest.raises(ValueError, match="exposure"):
        rate_ratio_test(1, 2, current_exposure=0)


def test_rate_ratio_test_is_fast_for_large_counts():
    start = time.perf_counter()
    result = rate_ratio_test(100_500, 99_500)
    assert time.perf_counter() - start < 0.5
    # Normal approximation: z = 1000 / sqrt(200000) = 2.236 -> p ~ 0.025.
    assert result.p_value == pytest.approx(0.0255, rel=0.02)
    assert result.verdict == MORE


def test_rate_ratio_test_for_a_million_extreme_events_is_highly_significant():
    result = rate_ratio_test(0, 10**6)
    assert result.p_value == 0.0
    assert result.verdict == FEWER


@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=60),
    st.sampled_from([0.5, 1.0, 2.0, 7.0]),
)
def test_rate_ratio_test_matches_brute_force_binomial_sum(current, previous, exposure):
    n = current + previous
    result = rate_ratio_test(current, previous, current_exposure=exposure)
    expected = 1.0 if n == 0 else _brute_force_binomtest(current, n, exposure / (exposure + 1))
    assert result.p_value == pytest.approx(expected, rel=1e-6, abs=1e-12)


@given(
    st.integers(min_value=0, max_value=10**5),
    st.integers(min_value=0, max_value=10**5),
    st.floats(min_value=0.01, max_value=100),
    st.floats(min_value=0.01, max_value=100),
)
def test_rate_ratio_test_p_value_is_a_probability_and_symmetric(a, b, e1, e2):
    forward = rate_ratio_test(a, b, e1, e2)
    backward = rate_ratio_test(b, a, e2, e1)
    assert 0.0 <= forward.p_value <= 1.0
    assert forward.p_value == pytest.approx(backward.p_value, rel=1e-5, abs=1e-12)
    mirrored = {MORE: FEWER, FEWER: MORE, NO_CHANGE: NO_CHANGE}
    if abs(forward.p_value - 0.05) > 1e-6:
        assert backward.verdict == mirrored[forward.verdict]


# --- two-proportion test ----------------------------------------------------------------------


def test_two_proportion_test_detects_a_doubled_share():
    result = two_proportion_test(30, 100, 15, 100)
    assert result.p_value == pytest.approx(0.01109, rel=1e-3)
    assert (result.current, result.previous, result.verdict) == (0.3, 0.15, MORE)


def test_two_proportion_test_says_fewer_when_the_share_drops():
    assert two_proportion_test(15, 100, 30, 100).verdict == FEWER


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2"),
    [(0, 0, 3, 10), (3, 10, 0, 0), (0, 10, 0, 20), (10, 10, 20, 20)],
)
def test_two_proportion_test_without_information_reports_no_change(s1, n1, s2, n2):
    result = two_proportion_test(s1, n1, s2, n2)
    assert (result.p_value, result.verdict) == (1.0, NO_CHANGE)


@given(_successes_and_trials(), _successes_and_trials())
def test_two_proportion_test_p_value_is_a_probability(first, second):
    result = two_proportion_test(*first, *second)
    assert 0.0 <= result.p_value <= 1.0


# --- durations --------------------------------------------------------------------------------


def test_percentile_interpolates_linearly_like_numpy():
    values = [1, 2, 3, 4]
    assert percentile(values, 0) == 1
    assert percentile(values, 90) == pytest.approx(3.7)
    assert percentile(values, 100) == 4
    assert median(values) == 2.5
    assert median([5, 1, 3]) == 3


def test_median_of_empty_data_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        median([])


def test_duration_summary_bins_on_a_log_scale_with_readable_labels():
    summary = duration_summary([30, 90, 400, 420, 4000, 100_000, 10**7])
    bins = dict(summary.log_histogram_bins)
    assert bins["< 1 min"] == 1
    assert bins["1-2 min"] == 1
    assert bins["5-10 min"] == 2
    assert bins["1-2 h"] == 1
    assert bins["1-2 days"] == 1
    assert bins["1 week or more"] == 1
    assert sum(bins.values()) == summary.n == 7
    assert summary.median == 420
    assert summary.small_sample is True


def test_duration_summary_of_nothing_has_no_median():
    summary = duration_summary([])
    assert (summary.n, summary.median, summary.p90, summary.small_sample) == (0, None, None, True)


def test_duration_summary_is_not_small_from_thirty_samples():
    assert duration_summary([60.0] * 30).small_sample is False
    assert duration_summary([60.0] * 29).small_sample is True


def test_duration_summary_rejects_negative_durations():
    with pytest.raises(ValueError, match="non-negative"):
        duration_summary([10, -1])


@given(st.lists(st.floats(min_value=0, max_value=1e8), min_size=1, max_size=200))
def test_duration_summary_median_and_p90_stay_within_the_data(values):
    summary = duration_summary(values)
    assert min(values) <= summary.median <= summary.p90 <= max(values)
    assert sum(count for _, count in summary.log_histogram_bins) == len(values)
