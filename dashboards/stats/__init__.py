"""Honest statistics for the dashboards: intervals, exact tests and medians, never bare means.

Small incident counts swing wildly by chance, so every number shown on a dashboard comes with
an interval, and every "up/down" claim comes from a test that can say "no detectable change".
Standard library only, so the dashboards need no scipy/numpy in the deployed image.

The package is split by question: `intervals` (how sure is a count, a rate or a share),
`comparisons` (did it change since the last period) and `durations` (how long things take).
The names below are its public interface.
"""

from dashboards.stats.comparisons import (
    FEWER,
    MORE,
    NO_CHANGE,
    Comparison,
    rate_ratio_test,
    two_proportion_test,
)
from dashboards.stats.durations import (
    DURATION_BINS,
    SMALL_SAMPLE,
    DurationSummary,
    duration_summary,
    duration_summary_from_parts,
    median,
    percentile,
)
from dashboards.stats.intervals import (
    Proportion,
    RateEstimate,
    garwood_interval,
    poisson_rate,
    proportion,
    wilson_interval,
)

__all__ = [
    "DURATION_BINS",
    "FEWER",
    "MORE",
    "NO_CHANGE",
    "SMALL_SAMPLE",
    "Comparison",
    "DurationSummary",
    "Proportion",
    "RateEstimate",
    "duration_summary",
    "duration_summary_from_parts",
    "garwood_interval",
    "median",
    "percentile",
    "poisson_rate",
    "proportion",
    "rate_ratio_test",
    "two_proportion_test",
    "wilson_interval",
]
