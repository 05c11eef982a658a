"""Training throughput of the full-size baseline on CPU, and time to resume after a kill.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_train.py            # everything
    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_train.py --no-resume --batches 64

Throughput: forward + backward + AdamW step of BaselineLSTM(3755 classes) on ready batches of
T steps (fixed-length padding, as within a length bucket), so data preparation is not counted;
``--data`` also times the synthetic TrainStream alone (samples/s of one process). Variants:
batch size, threads, oneDNN (``torch.backends.mkldnn``) on/off, bf16 autocast, and the pooling.

Resume: trains a full-size run for a few steps, SIGKILLs a ``trainer train --resume`` of it
right after its next checkpoint, then times a second ``--resume`` from process start to its
first new optimizer step (read from its log), with the breakdown (imports, checkpoint load,
first batch) in the printed log times.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import contextlib
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from trainer.model import BaselineLSTM, ModelConfig
from trainer.optim import build_optimizer
from trainer.train import TrainConfig


def throughput(
    batch: int, t: int, steps: int, classes: int = 3755, bf16: bool = False, pooling: str = "mean"
) -> tuple[float, float]:
    """Samples/s of training steps on random ready batches (after 2 warm-up steps).

    Returns (wall-clock samples/s, samples per CPU-second x threads): the second estimates the
    rate on an idle machine, since a process waiting for a shared core uses no CPU time.
    """
    torch.manual_seed(0)
    model = BaselineLSTM(ModelConfig(classes, pooling=pooling))
    opt, sched = build_optimizer(model, TrainConfig(warmup_steps=0), 10_000)
    x = torch.randn(batch, t, 6).contiguous()
    lengths = torch.full((batch,), t, dtype=torch.int64)
    labels = torch.randint(0, classes, (batch,))
    model.train()

    def step() -> None:
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with ctx:
            loss = nn.functional.cross_entropy(model(x, lengths), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()

    for _ in range(2):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # what the threads would do with their cores to themselves (a loaded machine lowers `wall`)
    threads = torch.get_num_threads()
    return batch * steps / wall, batch * steps / cpu * threads


def data_rate(batch: int, batches: int) -> float:
    """Samples/s of the synthetic TrainStream in this process (what one worker delivers)."""
    from engine.preprocess import PreprocessConfig
    from trainer.data.config import DataConfig
    from trainer.data.dataset import TrainStream

    config = DataConfig(batch_size=batch, bucket_batches=batches)
    stream = iter(TrainStream(config, PreprocessConfig()))
    t0 = time.perf_counter()
    n = sum(len(next(stream)[2]) for _ in range(batches))
    return n / (time.perf_counter() - t0)


def run_cli(args: list[str], until: str | None = None) -> tuple[float, list[str], int]:
    """Run ``python -m trainer`` (seconds to the line matching ``until``, its log, status).

    When ``until`` matches a line, the process is SIGKILLed there.
    """
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", *args], stderr=subprocess.PIPE, text=True, env=env
    )
    lines: list[str] = []
    elapsed = float("nan")
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(f"{time.perf_counter() - t0:7.2f}s  {line.rstrip()}")
        if until and re.search(until, line):
            elapsed = time.perf_counter() - t0
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    return elapsed, lines, proc.returncode


def bench_resume(threads: int, bucket_batches: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="xiezi-resume-")) / "run"
    common = [
        "--out", str(out), "--threads", str(threads), "--no-progress", "--val-per-class", "0",
        "--log-every", "1", "--bucket-batches", str(bucket_batches), "--batch-size", "64",
    ]  # fmt: skip
    _, log, rc = run_cli(["train", *common, "--steps", "2"])
    if rc != 0:
        sys.exit("the first run failed:\n" + "\n".join(log[-20:]))
    # killed after its next checkpoint, as a preempted process would be
    run_cli(
        ["train", *common, "--resume", "--steps", "100", "--checkpoint-every", "2"],
        until=r"checkpoint .* at step 4",
    )
    secs, log, _ = run_cli(
        ["train", *common, "--resume", "--steps", "100"], until="first step of this process"
    )
    print(f"\ntime to resume (process start -> first new step): {secs:.1f} s")
    print("\n".join(line for line in log if "resumed" in line or "first step" in line))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batches", type=int, nargs="+", default=[64, 128])
    p.add_argument("--t", type=int, default=70, help="sequence length (padded)")
    p.add_argument("--steps", type=int, default=6, help="timed steps per variant")
    p.add_argument("--variants", action="store_true", help="also oneDNN off, bf16, last pool")
    p.add_argument("--data", action="store_true", help="also time the synthetic stream")
    p.add_argument("--no-resume", action="store_true", help="skip the resume timing")
    p.add_argument("--bucket-batches", type=int, default=32, help="of the resume runs")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine)"
    )
    for b in args.batches:
        rate, idle = throughput(b, args.t, args.steps)
        print(
            f"baseline 3755 classes, T={args.t}, batch {b}: {rate:6.0f} samples/s "
            f"(CPU-time estimate for idle cores: {idle:.0f})"
        )
        if args.variants:
            for name, kwargs, off in (
                ("oneDNN off", {}, True),
                ("bf16 autocast", {"bf16": True}, False),
                ("pooling last", {"pooling": "last"}, False),
            ):
                try:
                    with torch.backends.mkldnn.flags(enabled=not off):
                        r, i = throughput(b, args.t, args.steps, **kwargs)
                    print(f"  {name:14s} {r:6.0f} samples/s (idle estimate {i:.0f})")
                except RuntimeError as e:  # e.g. no bf16 LSTM kernel on an AVX2-only CPU
                    print(f"  {name:14s} not supported here: {str(e).splitlines()[0][:70]}")
    if args.data:
        print(f"synthetic TrainStream, one process: {data_rate(64, 4):6.0f} samples/s")
    if not args.no_resume:
        bench_resume(args.threads, args.bucket_batches)
    return 0


if __name__ == "__main__":
    sys.exit(main())
