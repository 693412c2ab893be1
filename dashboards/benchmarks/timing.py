"""Timing helpers of the benchmarks: how many queries an action runs, and how long it takes."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection

from dashboards import stats


def count_queries(action: Callable[[], object]) -> int:
    """Counted by an execute wrapper: every request resets Django's own query log."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        action()
    return len(seen)


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """How long each of `runs` calls of the action took, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return stats.percentile(values, 95)
