"""Checkpoints: rebuilt from the file alone, written atomically, refused when damaged."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from train_fakes import FakeDataConfig, FakeSource, tiny_model

from trainer.checkpoint import (
    atomic_save,
    capture_rng,
    load_checkpoint,
    read_checkpoint,
    restore_rng,
)
from trainer.errors import CheckpointError
from trainer.train import TrainConfig, train

pytestmark = pytest.mark.torch
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    out = tmp_path_factory.mktemp("run")
    model = tiny_model()
    config = TrainConfig(steps=3, log_every=1, threads=1, workers=0, val_every=0)
    train(model, config, FakeDataConfig(), out, source=FakeSource(), progress=False)
    return model, out / "last.pt"


def test_checkpoint_alone_rebuilds_the_model(trained: tuple[torch.nn.Module, Path]) -> None:
    model, path = trained
    rebuilt, ckpt = load_checkpoint(path)
    assert type(rebuilt) is type(model) and rebuilt.config == model.config
    for key in (
        "model_config",
        "charset",
        "preprocess",
        "preprocess_version",
        "train_config",
        "data_config",
        "optimizer",
        "scheduler",
        "rng",
        "data_position",
        "callbacks",
        "metrics_tail",
        "elapsed_s",
    ):
        assert key in ckpt, key
    assert ckpt["charset"] == FakeSource().charset
    x, lengths = torch.randn(3, 9, 6), torch.tensor([9, 4, 1])
    model.eval()
    assert torch.equal(rebuilt(x, lengths), model(x, lengths))


def test_truncated_or_garbage_checkpoint_is_a_clear_error(
    trained: tuple[torch.nn.Module, Path], tmp_path: Path
) -> None:
    data = trained[1].read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(cut)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        read_checkpoint(junk)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "missing.pt")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not a Xiezi training checkpoint"):
        read_checkpoint(other)


class NotPlain:
    """An object torch.load(weights_only=True) refuses (its message is torch's advice)."""


def test_garbage_checkpoint_errors_are_ours_not_torchs(tmp_path: Path) -> None:
    """Issue 17: the message names the file and the fix, without PyTorch's internal text."""
    rng = np.random.default_rng(0)
    garbage = tmp_path / "garbage.pt"
    pickled = tmp_path / "pickled.pt"
    torch.save({"model_spec": NotPlain()}, pickled)
    for path, data in ((garbage, rng.bytes(3000)), (pickled, None)):
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(CheckpointError) as info:
            read_checkpoint(path)
        text = str(info.value)
        assert str(path) in text and "\n" not in text and len(text) < 300
        for internal in ("weights_only", "PyTorch", "WeightsUnpickler", "torch.load"):
            assert internal not in text


def test_atomic_save_replaces_whole_files_only(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "last.pt"
    atomic_save({"a": torch.arange(4)}, path)
    atomic_save({"a": torch.arange(5)}, path)
    assert torch.equal(torch.load(path, weights_only=True)["a"], torch.arange(5))
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]  # no temporary left behind

    class Unpicklable:
        def __reduce__(self) -> None:
            raise TypeError("no")

    with pytest.raises(TypeError):
        atomic_save({"a": Unpicklable()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["a"], torch.arange(5))
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]


def test_rng_states_round_trip(tmp_path: Path) -> None:
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    state = capture_rng()
    atomic_save({"rng": state}, tmp_path / "r.pt")
    expected = (random.random(), np.random.rand(), torch.rand(2))
    restore_rng(torch.load(tmp_path / "r.pt", weights_only=True)["rng"])
    got = (random.random(), np.random.rand(), torch.rand(2))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])
