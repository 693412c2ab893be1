"""API test helpers: a client logged in as one of the shared people (tests/conftest.py)."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient


def client_for(user=None, *, token: bool = False) -> APIClient:
    """A client acting as user: a session login, or a real knox token when token=True."""
    client = APIClient()
    if user is not None and token:
        _instance, plain = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    elif user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for
