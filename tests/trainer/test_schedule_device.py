"""Learning-rate schedules and device selection."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch

from trainer.distributed import resolve_device, setup
from trainer.optim import lr_factor

pytestmark = pytest.mark.torch


def test_cosine_warms_up_then_decays_to_the_floor() -> None:
    f = [lr_factor("cosine", s, 100, 10, 0.05) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert all(a <= b for a, b in pairwise(f[:10]))
    assert all(a >= b for a, b in pairwise(f[10:]))
    assert f[99] == pytest.approx(0.05, abs=1e-3) and min(f) >= 0.05


def test_onecycle_and_constant() -> None:
    f = [lr_factor("onecycle", s, 100, 0, 0.1) for s in range(101)]
    assert f[0] == pytest.approx(1 / 25) and max(f) == pytest.approx(1.0)
    assert f.index(max(f)) == 30 and f[100] == pytest.approx(0.1 / 25)
    assert [lr_factor("constant", s, 100, 4, 0.0) for s in (0, 3, 50)] == [0.25, 1.0, 1.0]


def test_device_choice() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")
    ctx = setup("cpu")  # not under torchrun: one process, no process group
    assert (ctx.rank, ctx.world_size, ctx.is_main, ctx.distributed) == (0, 1, True, False)
