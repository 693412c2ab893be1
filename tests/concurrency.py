"""Real concurrent transactions for the tests that need them (PostgreSQL only).

Each call runs in its own thread, so with its own database connection and its own transaction;
a barrier releases them together, so they overlap as two requests arriving at the same moment
would. SQLite serialises every writer on one file lock, so these tests skip there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)"
)

# A trial that takes longer than this has deadlocked: fail instead of hanging the suite.
TRIAL_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Outcome:
    """What one concurrent call returned, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> Any:
        """The value, or the exception raised again (an HTTP call's 500 included)."""
        if self.error is not None:
            raise self.error
        return self.value


def at_the_same_moment(*calls: Callable[[], Any]) -> list[Outcome]:
    """Run the calls concurrently, each in its own thread and connection; their outcomes in
    the order given."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=TRIAL_TIMEOUT_SECONDS)
            outcomes[index] = Outcome(value=call())
        except BaseException as error:  # reported to the test, not swallowed
            outcomes[index] = Outcome(error=error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TRIAL_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a concurrent call hung"
    return outcomes  # type: ignore[return-value]


def concurrent_test(test):
    """Mark a test of real concurrent transactions: PostgreSQL only, on committed data (each
    thread's connection must see what the test created), with the migrations' data put back
    after the module (`migration_data_back_after_the_module` in tests/conftest.py)."""
    test = pytest.mark.usefixtures("migration_data_back_after_the_module")(test)
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return postgres_only(test)
