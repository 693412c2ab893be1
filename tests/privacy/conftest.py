from __future__ import annotations

import pytest

from tests.privacy.canary import build_canary


@pytest.fixture
def canary(db):
    return build_canary()
