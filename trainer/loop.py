"""The state and step loop of one train() call (see trainer.train for the public API)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, IterableDataset

from trainer import checkpoint as ck
from trainer import distributed
from trainer.curves import plot_curves
from trainer.data.batch import Batch
from trainer.data.feed import DataSource
from trainer.evaluate import evaluate
from trainer.metrics import METRICS, MetricsLog
from trainer.model import model_spec
from trainer.optim import build_optimizer
from trainer.train_config import TrainCallback, TrainConfig, TrainResult

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


class Run:
    """Model, optimizer, schedule, counters and outputs of a training run on this rank."""

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

    # -- checkpoints ------------------------------------------------------------------
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

    # -- the loop ---------------------------------------------------------------------
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
