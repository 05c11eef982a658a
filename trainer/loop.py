"""The step loop of one train() call (see trainer.train for the public API).

``Run`` adds the steps to ``trainer.run_state.RunState`` (what a run holds, its checkpoints);
``Counters``, ``make_loader`` and ``StopFlag`` are re-exported from their own modules.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn
from torch.nn.parallel import DistributedDataParallel

from trainer import checkpoint as ck
from trainer import distributed
from trainer.curves import plot_curves
from trainer.evaluate import evaluate
from trainer.loader import make_loader
from trainer.metrics import MetricsLog
from trainer.optim import build_optimizer
from trainer.run_state import Counters, RunState
from trainer.stop_flag import StopFlag
from trainer.train_config import TrainResult

__all__ = ["Counters", "Pace", "Run", "StopFlag", "make_loader", "save_outputs"]

logger = logging.getLogger(__name__)


@dataclass
class Pace:
    """What the loop needs between steps that no checkpoint keeps."""

    net: nn.Module  # the model, wrapped for DDP when distributed
    batches: Any
    stop: StopFlag
    bar: Any = None
    t_log: float = field(default_factory=time.monotonic)
    n_log: int = 0  # samples since the last log line
    last_save: float = field(default_factory=time.monotonic)
    first: bool = True


class Run(RunState):
    """Model, optimizer, schedule, counters and outputs of a training run on this rank."""

    def loop(self) -> TrainResult:
        """Train to the last step, or until SIGTERM / SIGINT (then checkpoint and return)."""
        pace = self.start()
        stopped = False
        pace.stop.install()
        try:
            while self.counters.step < self.total:
                self.train_step(pace)
                if self.after_step(pace):
                    stopped = True
                    break
        finally:
            pace.stop.uninstall()
        return self.finish(pace, stopped)

    def start(self) -> Pace:
        """Callbacks' start, DDP, the data worker, the optimizer (with any pending state
        and random state of a resume) and the progress bar."""
        bare = self.model
        for cb in self.callbacks:  # before DDP: a pass may put parametrizations on the model
            cb.on_train_start(bare)
        net: nn.Module = bare
        if self.ctx.distributed:
            ids = [self.ctx.device.index] if self.ctx.device.type == "cuda" else None
            net = DistributedDataParallel(bare, device_ids=ids)
        batches: Any = iter(())
        if self.counters.step < self.total:  # no data worker for a run already complete
            stream = self.source.stream(
                self.ctx.rank, self.ctx.world_size, self.counters.data_position
            )
            batches = iter(make_loader(stream, self.config.workers))
        # After the worker started: an optimizer's first construction imports torch._dynamo
        # (seconds), which now overlaps with the worker making the first batches.
        self.opt, self.sched = build_optimizer(bare, self.config, self.total)
        if self.pending_opt is not None:
            try:
                self.opt.load_state_dict(self.pending_opt[0])
                self.sched.load_state_dict(self.pending_opt[1])
            except (ValueError, RuntimeError, KeyError) as e:
                raise ck.CheckpointError(f"optimizer state does not fit this run: {e}") from e
        if self.pending_rng is not None:
            ck.restore_rng(self.pending_rng)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(
                total=self.total, initial=self.counters.step, unit="step", dynamic_ncols=True
            )
        self.t_start = time.monotonic()
        pace = Pace(net, batches, StopFlag(), bar)
        net.train()
        return pace

    def train_step(self, pace: Pace) -> None:
        """One optimizer step on the next batch, and the counters after it."""
        cfg, ctx, bare, c = self.config, self.ctx, self.model, self.counters
        x, lengths, labels, index = next(pace.batches)
        x = x.to(ctx.device, non_blocking=True)
        lengths = lengths.to(ctx.device, non_blocking=True)
        labels = labels.to(ctx.device, non_blocking=True)
        loss = nn.functional.cross_entropy(
            pace.net(x, lengths), labels, label_smoothing=cfg.label_smoothing
        )
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        for cb in self.callbacks:
            cb.after_backward(bare, c.step)
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(bare.parameters(), cfg.grad_clip)
        self.opt.step()
        self.sched.step()
        for cb in self.callbacks:
            cb.after_step(bare, c.step)
        c.step += 1
        c.samples_seen += len(labels) * ctx.world_size
        c.data_position = int(index) + 1
        c.loss_sum += loss.detach()
        c.loss_n += 1
        pace.n_log += len(labels) * ctx.world_size

    def after_step(self, pace: Pace) -> bool:
        """Progress, logging, validation and checkpoint timing; True to stop here (a
        signal came before the last step: the checkpoint is written)."""
        cfg, ctx, step = self.config, self.ctx, self.counters.step
        if pace.bar is not None:
            pace.bar.update(1)
        if pace.first:
            pace.first = False
            logger.info("first step of this process done: step %d", step)
        if step % max(1, cfg.log_every) == 0 or step == self.total:
            rate = pace.n_log / max(1e-9, time.monotonic() - pace.t_log)
            self._log(rate, pace.bar)
            pace.t_log, pace.n_log = time.monotonic(), 0
        t_pause = time.monotonic()
        if ctx.is_main and (
            (cfg.val_every > 0 and step % cfg.val_every == 0) or step == self.total
        ):
            self._validate()
        due = time.monotonic() - pace.last_save >= cfg.checkpoint_minutes * 60
        every = cfg.checkpoint_every > 0 and step % cfg.checkpoint_every == 0
        due, stop_now = distributed.broadcast_flags(ctx, [due or every, pace.stop.set])
        if due or stop_now or step == self.total:
            self.save()
            pace.last_save = time.monotonic()
        pace.t_log += time.monotonic() - t_pause  # samples/s counts training time only
        return bool(stop_now) and step < self.total

    def finish(self, pace: Pace, stopped: bool) -> TrainResult:
        if pace.bar is not None:
            pace.bar.close()
        c = self.counters
        if self.ctx.is_main and self.plotted_step != c.step:
            save_outputs(self.out_dir, self.metrics)
        v = self.last_val or {}
        return TrainResult(
            step=c.step,
            samples_seen=c.samples_seen,
            loss=self.last_loss,
            val_top1=v.get("top1"),
            val_top10=v.get("top10"),
            checkpoint=self.out_dir / ck.LAST,
            elapsed_s=self.elapsed(),
            stopped=stopped,
        )

    def _log(self, rate: float, bar: Any) -> None:
        c = self.counters
        if c.loss_n == 0:
            return
        loss = float(c.loss_sum) / c.loss_n
        self.last_loss = loss
        c.loss_sum.zero_()
        c.loss_n = 0
        if not self.ctx.is_main:
            return
        lr = self.opt.param_groups[0]["lr"]
        self.metrics.append(
            {
                "kind": "train",
                "step": c.step,
                "samples": c.samples_seen,
                "loss": loss,
                "lr": lr,
                "samples_per_s": round(rate, 2),
                "elapsed_s": round(self.elapsed(), 3),
            }
        )
        if bar is not None:
            bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}", sps=f"{rate:.0f}")

    def _validate(self) -> None:
        if self.val is None:  # made at the first validation: a resume starts training at once
            self.val = self.source.validation(self.config.val_batch_size)
        if not self.val:
            return
        c = self.counters
        result = evaluate(self.model, self.val, top=10, device=self.ctx.device)
        self.last_val = result
        rec = {
            "kind": "val",
            "step": c.step,
            "samples": c.samples_seen,
            "val_top1": result["top1"],
            "val_top10": result["top10"],
            "val_loss": result["loss"],
            "elapsed_s": round(self.elapsed(), 3),
        }
        self.metrics.append(rec)
        logger.info(
            "step %d: validation top-1 %.2f%%, top-10 %.2f%% on %d samples",
            c.step,
            100 * result["top1"],
            100 * result["top10"],
            result["n"],
        )
        save_outputs(self.out_dir, self.metrics)
        self.plotted_step = c.step
        if result["top1"] > c.best_top1:
            c.best_top1 = result["top1"]
            self._save_best()


def save_outputs(out_dir: Path, metrics: MetricsLog) -> None:
    """Redraw curves.png from metrics.jsonl (never fatal: a plot must not stop training)."""
    try:
        plot_curves(metrics.tail(100_000), out_dir / "curves.png")
    except Exception:  # matplotlib can fail in many ways; training goes on
        logger.exception("could not draw %s", out_dir / "curves.png")
