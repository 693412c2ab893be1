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
