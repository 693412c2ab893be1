"""Shared fixtures: the people every permission test talks about; the abuse counters (login
lockout, API throttles) start empty in every test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from tests.factories import FacilitatorFactory, ResponderFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher is slow on purpose; every test user would pay a second for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_throttle_counters():
    # DRF's throttles count in Django's cache, which outlives a test (the login lockout's
    # failures are database rows, rolled back with the rest). Without this, one test's
    # requests would count against the next test's user or address.
    cache.clear()


def cool_off_passes() -> None:
    """As if the login cool-off had passed: every recorded failure moves back past it."""
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def facilitator(db):
    return FacilitatorFactory(username="fran", is_staff=True)


@pytest.fixture
def responder(db):
    return ResponderFactory(username="rita", is_staff=True)


@pytest.fixture
def reader(db):
    return UserFactory(username="reed")


@pytest.fixture
def outsider(db):
    """A logged-in reader who has nothing to do with a given private incident."""
    return UserFactory(username="otto")


@pytest.fixture(scope="module")
def migration_data_back_after_the_module(django_db_setup, django_db_blocker):
    """Committed (transactional) tests flush every table afterwards: put the role groups and
    permissions the migrations wrote back for the tests that run after the module
    (`tests.concurrency.concurrent_test` asks for it)."""
    from tests.browser.conftest import migration_data_snapshot, restore_migration_data

    with django_db_blocker.unblock():
        snapshot = migration_data_snapshot()
    yield
    restore_migration_data(django_db_blocker, snapshot)
