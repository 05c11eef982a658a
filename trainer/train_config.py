"""How a model is trained (TrainConfig), the hooks into training, and what training returns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from torch import nn


@dataclass(frozen=True)
class TrainConfig:
    """How to train; batch size and data live in trainer.data's DataConfig.

    Attributes:
        steps: optimizer steps in all (over every resumption).
        samples: when > 0, train on this many samples instead (steps = samples / global
            batch, rounded up).
        lr: peak learning rate (AdamW, trainer.optim).
        schedule: "cosine" (warmup then cosine), "onecycle" or "constant" (trainer.optim).
        warmup_steps: linear warmup length (cosine, constant).
        min_lr_ratio: final learning rate as a fraction of ``lr``.
        weight_decay: AdamW decay of weight matrices (biases have none).
        grad_clip: clip the global gradient norm to this (0: no clipping).
        label_smoothing: of the cross-entropy loss.
        val_every: validate every this many steps (0: only at the end).
        val_batch_size: batch size of validation.
        checkpoint_minutes: write last.pt at least this often (wall clock).
        checkpoint_every: also write it every this many steps (0: off; tests use it).
        threads: torch intra-op threads (2 on the shared machine; README.md, "Training and
            rebuilding the model").
        device: "auto" (GPU when present), "cpu" or "cuda".
        seed: seeds python, numpy and torch (rank r uses seed + r).
        log_every: log the mean loss of this many steps to metrics.jsonl.
        workers: DataLoader worker processes (1: data is made beside training; 0: inline).
    """

    steps: int = 10_000
    samples: int = 0
    lr: float = 2e-3
    schedule: str = "cosine"
    warmup_steps: int = 200
    min_lr_ratio: float = 0.02
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    label_smoothing: float = 0.0
    val_every: int = 1000
    val_batch_size: int = 256
    checkpoint_minutes: float = 5.0
    checkpoint_every: int = 0
    threads: int = 2
    device: str = "auto"
    seed: int = 0
    log_every: int = 50
    workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def total_steps(self, global_batch: int) -> int:
        if self.samples > 0:
            return max(1, math.ceil(self.samples / global_batch))
        return self.steps


class TrainCallback(Protocol):
    """A hook into train(); compression passes (SVD fine-tune, pruning, k-means) implement it.

    ``model`` is the bare module (never the DDP wrapper); ``step`` is the 0-based index of the
    optimizer step in progress. On resume, the model weights are loaded first, then
    ``load_state_dict`` (the state saved in the checkpoint), then ``on_train_start``.
    ``state_dict`` must hold only tensors and plain Python values (checkpoints load with
    ``weights_only=True``).
    """

    def on_train_start(self, model: nn.Module) -> None: ...

    def after_backward(self, model: nn.Module, step: int) -> None: ...

    def after_step(self, model: nn.Module, step: int) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class TrainResult:
    """What a train() call ended with.

    Attributes:
        step: optimizer steps done (over all resumptions). samples_seen: global samples.
        loss: mean training loss of the last logging interval (rank 0).
        val_top1, val_top10: of the last validation (None if there was none).
        checkpoint: path of last.pt. elapsed_s: training time over all resumptions.
        stopped: True when a signal (SIGTERM / SIGINT) ended the run early, after a checkpoint.
    """

    step: int
    samples_seen: int
    loss: float | None
    val_top1: float | None
    val_top10: float | None
    checkpoint: Path
    elapsed_s: float
    stopped: bool = False
