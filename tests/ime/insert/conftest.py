"""Fixtures of the insertion tests: a fake X display (tests/support/fake_display.py)."""

from __future__ import annotations

import pytest

from tests.support.fake_display import FakeDisplay


@pytest.fixture
def fake_display() -> FakeDisplay:
    return FakeDisplay()
