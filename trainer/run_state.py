"""What a training run holds on this rank, and how it is checkpointed and resumed."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainer import checkpoint as ck
from trainer import distributed
from trainer.data.batch import Batch
from trainer.data.feed import DataSource
from trainer.metrics import METRICS, MetricsLog
from trainer.model import model_spec
from trainer.train_config import TrainCallback, TrainConfig

logger = logging.getLogger(__name__)


@dataclass
class Counters:
    """How far a run got: the numbers a checkpoint carries besides weights and states.

    ``save`` writes them with ``checkpoint_fields`` and ``restore`` reads them back with
    ``load``, so a counter added here is saved and resumed alike.
    """

    loss_sum: torch.Tensor  # training loss since the last log line (on the device: no sync)
    loss_n: int = 0
    step: int = 0
    samples_seen: int = 0
    data_position: int = 0  # of this rank's stream
    elapsed_before: float = 0.0  # training seconds of the processes before this one
    best_top1: float = -1.0

    def checkpoint_fields(self, elapsed_s: float) -> dict[str, Any]:
        """The checkpoint entries after the states (step, samples_seen and the data
        positions go where make_checkpoint and save put them)."""
        return {
            "elapsed_s": elapsed_s,
            "log_accumulator": (float(self.loss_sum), self.loss_n),
            "best_top1": self.best_top1,
        }

    def load(self, ckpt: dict[str, Any], rank: int) -> None:
        """Take the counters of ``ckpt``; ``rank`` picks this process's data position."""
        self.step, self.samples_seen = int(ckpt["step"]), int(ckpt["samples_seen"])
        self.elapsed_before = float(ckpt.get("elapsed_s", 0.0))
        self.best_top1 = float(ckpt.get("best_top1", -1.0))
        loss_sum, self.loss_n = ckpt.get("log_accumulator", (0.0, 0))
        self.loss_sum.fill_(float(loss_sum))
        positions = ckpt.get("data_positions") or [ckpt["data_position"]]
        self.data_position = int(positions[rank])


class RunState:
    """Model, schedule, counters and outputs of a training run on this rank, with the
    checkpoints that save and restore them; trainer.loop.Run adds the steps."""

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        data_config: Any,
        out_dir: Path,
        callbacks: list[TrainCallback],
        source: DataSource,
        ctx: distributed.DistContext,
        progress: bool,
    ) -> None:
        self.config, self.ctx, self.source, self.callbacks = config, ctx, source, callbacks
        self.out_dir, self.progress = out_dir, progress and ctx.is_main
        self.model = model.to(ctx.device)
        self.global_batch = source.batch_size * ctx.world_size
        self.total = config.total_steps(self.global_batch)
        # built in loop(), once the data worker runs (see start())
        self.opt: torch.optim.Optimizer
        self.sched: torch.optim.lr_scheduler.LRScheduler
        self.pending_opt: tuple[dict[str, Any], dict[str, Any]] | None = None
        self.static = ck.run_header(model, config, source.charset, source.preprocess, data_config)
        self.counters = Counters(torch.zeros((), dtype=torch.float64, device=ctx.device))
        self.pending_rng: dict[str, Any] | None = None
        self.val: list[Batch] | None = None
        self.plotted_step = -1
        self.t_start = time.monotonic()
        self.last_loss: float | None = None
        self.last_val: dict[str, Any] | None = None
        self.metrics = MetricsLog(out_dir / METRICS)
        if ctx.is_main:
            ck.check_out_dir(out_dir)
            out_dir.mkdir(parents=True, exist_ok=True)

    def restore(self, path: Path) -> None:
        """Continue from a checkpoint of this run (see train(init_checkpoint=))."""
        ckpt = ck.read_checkpoint(path)
        ck.check_compatible(ckpt, model_spec(self.model), self.source.charset, path)
        ck.check_resumable(ckpt, path)
        try:
            self.model.load_state_dict(ckpt["model"])
        except (ValueError, RuntimeError, KeyError) as e:
            raise ck.CheckpointError(f"checkpoint {path} does not fit this run: {e}") from e
        self.pending_opt = (ckpt["optimizer"], ckpt["scheduler"])
        c = self.counters
        same_world = int(ckpt.get("world_size", 1)) == self.ctx.world_size
        r = self.ctx.rank if same_world else 0
        c.load(ckpt, r)
        states = ckpt.get("callbacks", [])
        if len(states) != len(self.callbacks):
            raise ck.CheckpointError(
                f"checkpoint {path} holds {len(states)} callback states, "
                f"this run has {len(self.callbacks)} callbacks"
            )
        for cb, state in zip(self.callbacks, states, strict=True):
            cb.load_state_dict(state)
        rngs = ckpt.get("rng") or [None] * self.ctx.world_size
        if not same_world:
            logger.warning(
                "resuming on %d processes a run saved on %d: batches and dropout differ "
                "from an uninterrupted run",
                self.ctx.world_size,
                ckpt.get("world_size", 1),
            )
            torch.manual_seed(self.config.seed + 7919 * c.step + self.ctx.rank)
        else:
            self.pending_rng = rngs[r]
        if self.ctx.is_main:
            self.metrics.truncate(c.step)
        logger.info("resumed %s at step %d (data position %d)", path, c.step, c.data_position)

    def save(self, name: str = ck.LAST) -> Path:
        """Write a checkpoint (every rank takes part; rank 0 writes)."""
        c = self.counters
        per_rank = distributed.gather_objects(self.ctx, (ck.capture_rng(), c.data_position))
        path = self.out_dir / name
        if self.ctx.is_main:
            state = ck.make_checkpoint(
                self.static,
                self.model,
                c.step,
                c.samples_seen,
                optimizer=self.opt.state_dict(),
                scheduler=self.sched.state_dict(),
                rng=[rng for rng, _ in per_rank],
                data_position=c.data_position,
                data_positions=[pos for _, pos in per_rank],
                world_size=self.ctx.world_size,
                callbacks=[cb.state_dict() for cb in self.callbacks],
                metrics_tail=self.metrics.tail(50),
                **c.checkpoint_fields(self.elapsed()),
            )
            ck.atomic_save(state, path)
            logger.info("checkpoint %s at step %d", path, c.step)
        return path

    def elapsed(self) -> float:
        return self.counters.elapsed_before + time.monotonic() - self.t_start

    def _save_best(self) -> None:
        c = self.counters
        state = ck.make_checkpoint(
            self.static,
            self.model,
            c.step,
            c.samples_seen,
            best_top1=c.best_top1,
            elapsed_s=self.elapsed(),
        )
        ck.atomic_save(state, self.out_dir / ck.BEST)
