"""Fixtures of the compression tests."""

from __future__ import annotations

import pytest
from compress_helpers import tiny_baseline

from trainer.model import BaselineLSTM


@pytest.fixture
def baseline() -> BaselineLSTM:
    return tiny_baseline().eval()
