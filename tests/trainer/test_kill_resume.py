"""A training process killed with SIGKILL resumes with --resume and continues the same curve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from trainer.checkpoint import read_checkpoint
from trainer.cli import main
from trainer.metrics import read_metrics

pytestmark = [pytest.mark.torch, pytest.mark.slow]
torch.set_num_threads(1)

STEPS = 60
ARGS = [
    "--classes", "4", "--steps", str(STEPS), "--batch-size", "8", "--bucket-batches", "2",
    "--hidden1", "4", "--hidden2", "8", "--fc", "8", "--val-per-class", "1", "--val-every", "0",
    "--log-every", "1", "--checkpoint-every", "3", "--threads", "1", "--lr", "0.01",
    "--warmup-steps", "5", "--no-progress",
]  # fmt: skip


def curve(out: Path) -> dict[int, float]:
    records = read_metrics(out / "metrics.jsonl")
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert len(steps) == len(set(steps)), "a step was logged twice"
    return {r["step"]: r["loss"] for r in records if r["kind"] == "train"}


def test_sigkilled_run_resumes_on_the_same_curve(tmp_path: Path) -> None:
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert main(["train", "--out", str(full), "--workers", "0", *ARGS]) == 0

    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "trainer", "train", "--out", str(killed), *ARGS]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:  # wait for the first checkpoint, then kill at once
        seen.append(line)
        if "checkpoint" in line and "at step" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    at = read_checkpoint(killed / "last.pt")["step"]
    assert 3 <= at < STEPS, f"the run reached step {at} before the kill"

    assert main(["train", "--out", str(killed), "--resume", "--workers", "0", *ARGS]) == 0
    end = read_checkpoint(killed / "last.pt")
    assert end["step"] == STEPS and end["data_position"] == STEPS
    a, b = curve(full), curve(killed)
    assert sorted(b) == list(range(1, STEPS + 1))
    resumed = {s: b[s] for s in b if s > at}
    assert resumed == pytest.approx({s: a[s] for s in resumed}, abs=1e-6)
    assert b == pytest.approx(a, abs=1e-6)
