"""Tiny deterministic stand-ins for trainer.data used by the trainer's tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import IterableDataset

from engine.preprocess import PreprocessConfig
from trainer.model import BaselineLSTM, ModelConfig

CHARSET = "一二三四五六七八"


@dataclass(frozen=True)
class FakeDataConfig:
    num_classes: int = len(CHARSET)
    batch_size: int = 8
    seed: int = 0


def make_batch(seed: int, index: int, batch_size: int, classes: int) -> tuple:
    """Batch ``index`` of a stream: class c is a noisy ramp of slope c; lengths 5..12."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + index)
    labels = torch.randint(0, classes, (batch_size,), generator=g)
    lengths = torch.randint(5, 13, (batch_size,), generator=g)
    t = torch.linspace(0, 1, 12)
    x = torch.randn(batch_size, 12, 6, generator=g) * 0.3
    x[:, :, 0] += t[None, :] * (labels[:, None].float() - classes / 2)
    x[:, :, 1] += labels[:, None].float() / classes
    x = x * (torch.arange(12)[None, :] < lengths[:, None])[:, :, None]
    return x, lengths, labels


class FakeStream(IterableDataset):
    """Infinite stream; rank r of w gets batches r, r + w, r + 2w, ... (global indices).

    ``start_batch`` is a per-rank position: the number of batches this rank already took.
    """

    def __init__(self, cfg: FakeDataConfig, rank: int, world: int, start: int) -> None:
        self.cfg, self.rank, self.world, self.start = cfg, rank, world, start

    def __iter__(self) -> Iterator[tuple]:
        i = self.start
        while True:
            g = i * self.world + self.rank
            yield (*make_batch(self.cfg.seed, g, self.cfg.batch_size, self.cfg.num_classes), i)
            i += 1


class FakeSource:
    """A trainer.data.feed.DataSource over FakeStream."""

    def __init__(self, cfg: FakeDataConfig | None = None) -> None:
        self.cfg = cfg or FakeDataConfig()
        self.charset = CHARSET[: self.cfg.num_classes]
        self.batch_size = self.cfg.batch_size
        self.preprocess = PreprocessConfig()

    def stream(self, rank: int, world_size: int, start_batch: int) -> FakeStream:
        return FakeStream(self.cfg, rank, world_size, start_batch)

    def validation(self, batch_size: int) -> list[tuple]:
        return [
            make_batch(self.cfg.seed + 99, i, batch_size, self.cfg.num_classes)[:3]
            for i in range(2)
        ]


def tiny_model(classes: int = len(CHARSET), seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return BaselineLSTM(ModelConfig(classes, hidden1=8, hidden2=16, fc=16, dropout=0.1))


class RecordingCallback:
    """Counts its calls; its state is the counts (restored on resume)."""

    def __init__(self) -> None:
        self.started = 0
        self.backward_steps: list[int] = []
        self.after_steps: list[int] = []
        self.loaded: dict | None = None

    def on_train_start(self, model: nn.Module) -> None:
        self.started += 1

    def after_backward(self, model: nn.Module, step: int) -> None:
        assert all(p.grad is not None for p in model.parameters())
        self.backward_steps.append(step)

    def after_step(self, model: nn.Module, step: int) -> None:
        self.after_steps.append(step)

    def state_dict(self) -> dict:
        return {"after_steps": list(self.after_steps), "marker": torch.arange(3)}

    def load_state_dict(self, state: dict) -> None:
        self.loaded = state
        self.after_steps = list(state["after_steps"])


class CrashAt:
    """A callback that raises in after_step at ``step`` (a crash right after a checkpoint)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_start(self, model: nn.Module) -> None:
        pass

    def after_backward(self, model: nn.Module, step: int) -> None:
        pass

    def after_step(self, model: nn.Module, step: int) -> None:
        if step == self.step:
            raise Crash(f"crash at step {step}")

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class Crash(RuntimeError):
    pass


class RecordingSource(FakeSource):
    """FakeSource that records the global index of every batch its streams hand out."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def stream(self, rank: int, world_size: int, start_batch: int) -> Iterator[tuple]:
        def gen() -> Iterator[tuple]:
            for batch in FakeStream(self.cfg, rank, world_size, start_batch):
                self.seen.append(batch[3] * world_size + rank)
                yield batch

        return gen()


def ddp_entry(rank: int, world: int, init_file: str, out: str) -> None:
    """One rank of the DDP test: a full run, and a crashed run resumed; saves what it saw."""
    import os
    from pathlib import Path

    import torch.distributed as dist

    from trainer.train import TrainConfig, train

    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        cfg = TrainConfig(
            steps=12,
            lr=1e-2,
            warmup_steps=2,
            log_every=1,
            threads=1,
            workers=0,
            val_every=6,
            checkpoint_every=4,
            device="cpu",
        )
        root = Path(out)
        src = RecordingSource()
        full = tiny_model(seed=rank)  # DDP starts every rank from rank 0's weights
        train(full, cfg, None, root / "full", source=src, progress=False)
        with contextlib.suppress(Crash):
            train(
                tiny_model(),
                cfg,
                None,
                root / "part",
                [CrashAt(5)],
                source=FakeSource(),
                progress=False,
            )
        part = tiny_model(seed=7)
        train(
            part,
            cfg,
            None,
            root / "part",
            [CrashAt(-1)],
            init_checkpoint=root / "part" / "last.pt",
            source=FakeSource(),
            progress=False,
        )
        torch.save(
            {"full": full.state_dict(), "part": part.state_dict(), "seen": src.seen},
            root / f"rank{rank}.pt",
        )
    finally:
        dist.destroy_process_group()
