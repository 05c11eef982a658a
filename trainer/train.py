"""train(): the resumable training loop shared by the CLI and the compression stages."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from trainer import distributed
from trainer.data.feed import DataSource, StreamSource
from trainer.loop import Run
from trainer.train_config import TrainCallback, TrainConfig, TrainResult

__all__ = ["TrainCallback", "TrainConfig", "TrainResult", "seed_everything", "train"]


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
    ctx = distributed.setup(config.device)
    try:
        torch.set_num_threads(max(1, config.threads))
        src = source if source is not None else StreamSource(data_config)
        run = Run(model, config, data_config, Path(out_dir), list(callbacks), src, ctx, progress)
        if init_checkpoint is not None:
            run.restore(Path(init_checkpoint))
        else:
            seed_everything(config.seed + ctx.rank)
        result = run.loop()
        # Every rank done before any tears down: a rank that tears down while its peer still
        # talks to it aborts the peer (gloo: "terminate called without an active exception",
        # seen once in CI). Only on success: after an error a barrier could wait for a rank
        # that is gone, where tearing down lets the others fail at once.
        distributed.barrier(ctx)
        return result
    finally:
        distributed.teardown(ctx)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
