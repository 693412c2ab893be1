"""Shared fixtures: the people every permission test talks about."""

from __future__ import annotations

import pytest

from tests.factories import FacilitatorFactory, ResponderFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher is slow on purpose; every test user would pay a second for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
