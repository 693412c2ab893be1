from __future__ import annotations

import pytest

from tests.privacy.canary import build_canary


@pytest.fixture
def canary(responder, facilitator, reader):
    return build_canary(outsiders=[responder, facilitator, reader])
