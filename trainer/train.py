"""train(): the resumable training loop shared by the CLI and the compression stages."""

from __future__ import annotations

import logging
import math
import random
import signal
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

from engine.preprocess import PREPROCESS_VERSION
from trainer import checkpoint as ck
from trainer import distributed
from trainer.curves import plot_curves
from trainer.metrics import MetricsLog
from trainer.model import model_spec
from trainer.source import DataSource, StreamSource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """How to train; batch size and data live in trainer.data's DataConfig.

    Attributes:
        steps: optimizer steps in all (over every resumption).
        samples: when > 0, train on this many samples instead (steps = samples / global
            batch, rounded up).
        lr: peak learning rate. optimizer: "adamw".
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
        threads: torch intra-op threads (2 on the shared machine; see DEVELOPERS.md).
        device: "auto" (GPU when present), "cpu" or "cuda".
        seed: seeds python, numpy and torch (rank r uses seed + r).
        log_every: log the mean loss of this many steps to metrics.jsonl.
        workers: DataLoader worker processes (1: data is made beside training; 0: inline).
    """

    steps: int = 10_000
    samples: int = 0
    lr: float = 2e-3
    optimizer: str = "adamw"
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


def train(
    model: nn.Module,
    config: TrainConfig,
    data_config: Any,
    out_dir: str | Path,
    callbacks: Sequence[TrainCallback] = (),
    init_checkpoint: str | Path | None = None,
    *,
    source: DataSource | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` (in place) and checkpoint it to ``out_dir``.

    Args:
        model: any nn.Module with spec() (trainer.model); moved to the run's device.
        config: the TrainConfig. data_config: trainer.data's DataConfig (stored in the
            checkpoint; the data come from it unless ``source`` is given).
        out_dir: receives last.pt, best.pt, metrics.jsonl and curves.png (rank 0 only).
        callbacks: TrainCallback hooks, called in order; their state goes in checkpoints.
        init_checkpoint: a checkpoint of this very run (e.g. out_dir/last.pt) to continue
            from: model, optimizer, schedule, random states, data position, callbacks.
        source: a DataSource other than StreamSource(data_config) (tests, special stages).
        progress: show a tqdm bar (rank 0).
    Runs under torchrun as DistributedDataParallel (trainer.distributed).
    Raises:
        CheckpointError: init_checkpoint is corrupt or of another model or charset.
    """
    from trainer.loop import Run

    ctx = distributed.setup(config.device)
    try:
        torch.set_num_threads(max(1, config.threads))
        src = source if source is not None else StreamSource(data_config)
        run = Run(model, config, data_config, Path(out_dir), list(callbacks), src, ctx, progress)
        if init_checkpoint is not None:
            run.restore(Path(init_checkpoint))
        else:
            seed_everything(config.seed + ctx.rank)
        return run.loop()
    finally:
        distributed.teardown(ctx)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_loader(dataset: Any, workers: int) -> Any:
    """Iterate a stream of ready batches, in a worker process when ``workers`` > 0.

    The stream batches itself (batch_size=None) and hands batches out in index order with
    any number of workers (TrainStream); use 2 when synthesis cannot keep up with training.
    Workers are not persistent: the loader is iterated once per train() call. The loader
    draws its seed from its own generator so it never consumes the global torch random
    state (a resumed run must see the same dropout).
    """
    if workers <= 0 or not isinstance(dataset, IterableDataset):
        return dataset
    return DataLoader(
        dataset,
        batch_size=None,
        num_workers=workers,
        prefetch_factor=4,
        persistent_workers=False,
        generator=torch.Generator().manual_seed(0),
    )


def checkpoint_state(
    run_model: nn.Module, config: TrainConfig, data_config: Any, charset: str, preprocess: Any
) -> dict[str, Any]:
    """The parts of a checkpoint that describe the run rather than its progress."""
    spec = model_spec(run_model)
    return {
        "format": ck.CHECKPOINT_FORMAT,
        "model_spec": ck.plain(spec),
        "model_config": ck.plain(spec.get("config")),
        "charset": charset,
        "preprocess": preprocess.to_dict(),
        "preprocess_version": PREPROCESS_VERSION,
        "train_config": config.to_dict(),
        "data_config": ck.plain(data_config),
    }


class StopFlag:
    """Set by SIGTERM / SIGINT so the loop checkpoints and returns; a second signal kills."""

    def __init__(self) -> None:
        self.set = False
        self._old: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.set:
            signal.signal(signum, self._old.get(signum, signal.SIG_DFL))
            signal.raise_signal(signum)
            return
        logger.warning("signal %d: checkpointing after this step, then stopping", signum)
        self.set = True

    def uninstall(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def save_outputs(out_dir: Path, metrics: MetricsLog) -> None:
    """Redraw curves.png from metrics.jsonl (never fatal: a plot must not stop training)."""
    try:
        plot_curves(metrics.tail(100_000), out_dir / "curves.png")
    except Exception:  # matplotlib can fail in many ways; training goes on
        logger.exception("could not draw %s", out_dir / "curves.png")
