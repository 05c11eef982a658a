"""train(): a tiny model learns, logs, checkpoints, calls its callbacks and resumes exactly."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest
import torch
from train_fakes import Crash, CrashAt, FakeDataConfig, FakeSource, RecordingCallback, tiny_model

from trainer.checkpoint import load_checkpoint, read_checkpoint
from trainer.errors import CheckpointError
from trainer.metrics import read_metrics
from trainer.train import TrainConfig, train

pytestmark = pytest.mark.torch
torch.set_num_threads(1)

CFG = TrainConfig(
    steps=24,
    lr=1e-2,
    warmup_steps=3,
    val_every=8,
    log_every=1,
    threads=1,
    workers=0,
    checkpoint_every=8,
)


def losses(out: Path) -> dict[int, float]:
    return {
        r["step"]: r["loss"] for r in read_metrics(out / "metrics.jsonl") if r["kind"] == "train"
    }


def test_tiny_model_learns_and_writes_its_outputs(tmp_path: Path) -> None:
    cb = RecordingCallback()
    config = TrainConfig(
        steps=60, lr=2e-2, warmup_steps=5, val_every=30, log_every=10, threads=1, workers=0
    )
    result = train(
        tiny_model(), config, FakeDataConfig(), tmp_path, [cb], source=FakeSource(), progress=False
    )
    assert result.step == 60 and result.samples_seen == 60 * 8 and not result.stopped
    log = read_metrics(tmp_path / "metrics.jsonl")
    train_recs = [r for r in log if r["kind"] == "train"]
    assert [r["step"] for r in train_recs] == [10, 20, 30, 40, 50, 60]
    assert train_recs[-1]["loss"] < 0.8 * train_recs[0]["loss"]
    assert all(r["samples_per_s"] > 0 and r["lr"] > 0 for r in train_recs)
    assert [r["step"] for r in log if r["kind"] == "val"] == [30, 60]
    assert result.val_top1 is not None and result.val_top1 > 1 / 8
    for name in ("last.pt", "best.pt", "curves.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert cb.started == 1
    assert cb.backward_steps == cb.after_steps == list(range(60))
    ckpt = read_checkpoint(tmp_path / "last.pt")
    assert ckpt["step"] == 60 and ckpt["data_position"] == 60
    assert ckpt["callbacks"][0]["after_steps"] == list(range(60))


def test_crashed_run_resumes_on_the_same_curve(tmp_path: Path) -> None:
    full, part = tmp_path / "full", tmp_path / "part"
    train(tiny_model(), CFG, FakeDataConfig(), full, source=FakeSource(), progress=False)
    cb = RecordingCallback()
    with pytest.raises(Crash):  # dies during step 10; last.pt holds step 8
        train(
            tiny_model(),
            CFG,
            FakeDataConfig(),
            part,
            [cb, CrashAt(9)],
            source=FakeSource(),
            progress=False,
        )
    assert read_checkpoint(part / "last.pt")["step"] == 8
    assert max(losses(part)) == 9  # step 9 was logged before the crash
    cb2 = RecordingCallback()
    result = train(
        tiny_model(seed=5),
        CFG,
        FakeDataConfig(),
        part,
        [cb2, CrashAt(-1)],
        init_checkpoint=part / "last.pt",
        source=FakeSource(),
        progress=False,
    )
    assert result.step == 24
    assert cb2.loaded is not None and cb2.loaded["after_steps"] == list(range(8))
    assert torch.equal(cb2.loaded["marker"], torch.arange(3))
    assert cb2.after_steps == list(range(24))  # restored 0..7, then 8..23
    a, b = losses(full), losses(part)
    assert sorted(b) == list(range(1, 25))  # the crashed run's step 9 was dropped, redone
    assert b == pytest.approx(a, abs=1e-6)
    m_full, _ = load_checkpoint(full / "last.pt")
    m_part, _ = load_checkpoint(part / "last.pt")
    full_state, part_state = m_full.state_dict().items(), m_part.state_dict().items()
    for (n, p), (_, q) in zip(full_state, part_state, strict=True):
        assert torch.allclose(p, q, atol=1e-6), n


def test_resume_refuses_another_model_or_charset(tmp_path: Path) -> None:
    config = TrainConfig(steps=2, log_every=1, threads=1, workers=0, val_every=0)
    train(tiny_model(), config, FakeDataConfig(), tmp_path, source=FakeSource(), progress=False)
    other = tiny_model(classes=4)
    with pytest.raises(CheckpointError, match="another model"):
        train(
            other,
            config,
            FakeDataConfig(),
            tmp_path / "b",
            init_checkpoint=tmp_path / "last.pt",
            source=FakeSource(FakeDataConfig(num_classes=4)),
            progress=False,
        )
    src = FakeSource()
    src.charset = "甲乙丙丁戊己庚辛"
    with pytest.raises(CheckpointError, match="another class list"):
        train(
            tiny_model(),
            config,
            FakeDataConfig(),
            tmp_path / "c",
            init_checkpoint=tmp_path / "last.pt",
            source=src,
            progress=False,
        )


def test_resume_refuses_a_model_only_checkpoint_or_missing_callback_state(tmp_path: Path) -> None:
    config = TrainConfig(steps=2, log_every=1, threads=1, workers=0, val_every=0)
    train(tiny_model(), config, FakeDataConfig(), tmp_path, source=FakeSource(), progress=False)
    shutil.copy(tmp_path / "last.pt", tmp_path / "x.pt")
    with pytest.raises(CheckpointError, match="no training state"):
        train(
            tiny_model(),
            config,
            FakeDataConfig(),
            tmp_path / "c",
            init_checkpoint=tmp_path / "best.pt",
            source=FakeSource(),
            progress=False,
        )
    with pytest.raises(CheckpointError, match="callback"):
        train(
            tiny_model(),
            config,
            FakeDataConfig(),
            tmp_path / "b",
            [RecordingCallback()],
            init_checkpoint=tmp_path / "x.pt",
            source=FakeSource(),
            progress=False,
        )


def test_samples_sets_the_number_of_steps(tmp_path: Path) -> None:
    config = TrainConfig(samples=20, log_every=100, threads=1, workers=0, val_every=0)
    result = train(
        tiny_model(), config, FakeDataConfig(), tmp_path, source=FakeSource(), progress=False
    )
    assert result.step == 3 and result.samples_seen == 24  # ceil(20 / 8) batches of 8
    assert json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])["step"] == 3


class SignalAt(CrashAt):
    def after_step(self, model: torch.nn.Module, step: int) -> None:
        if step == self.step:
            signal.raise_signal(signal.SIGTERM)


def test_sigterm_checkpoints_and_stops(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    config = TrainConfig(steps=50, log_every=1, threads=1, workers=0, val_every=0)
    result = train(
        tiny_model(),
        config,
        FakeDataConfig(),
        tmp_path,
        [SignalAt(2)],
        source=FakeSource(),
        progress=False,
    )
    assert result.stopped and result.step == 3
    assert read_checkpoint(tmp_path / "last.pt")["step"] == 3
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back
