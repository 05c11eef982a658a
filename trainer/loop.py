"""The state and step loop of one train() call (see trainer.train for the public API)."""

from __future__ import annotations

import logging
import signal
import threading
import time
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
        # built in loop(), once the data worker runs (see there)
        self.opt: torch.optim.Optimizer
        self.sched: torch.optim.lr_scheduler.LRScheduler
        self.pending_opt: tuple[dict[str, Any], dict[str, Any]] | None = None
        self.static = ck.run_header(
            model, config, source.charset, source.preprocess, data_config
        )
        self.step = self.samples_seen = self.data_position = 0
        self.elapsed_before = 0.0
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
        self.loss_n = 0
        self.best_top1 = -1.0
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
        self.step, self.samples_seen = int(ckpt["step"]), int(ckpt["samples_seen"])
        self.elapsed_before = float(ckpt.get("elapsed_s", 0.0))
        self.best_top1 = float(ckpt.get("best_top1", -1.0))
        loss_sum, self.loss_n = ckpt.get("log_accumulator", (0.0, 0))
        self.loss_sum.fill_(float(loss_sum))
        same_world = int(ckpt.get("world_size", 1)) == self.ctx.world_size
        r = self.ctx.rank if same_world else 0
        positions = ckpt.get("data_positions") or [ckpt["data_position"]]
        self.data_position = int(positions[r])
        states = ckpt.get("callbacks", [])
        if len(states) != len(self.callbacks):
            raise ck.CheckpointError(
                f"checkpoint {path} holds {len(states)} callback states, "
                f"this run has {len(self.callbacks)} callbacks"
            )
        for cb, state in zip(self.callbacks, states):
            cb.load_state_dict(state)
        rngs = ckpt.get("rng") or [None] * self.ctx.world_size
        if not same_world:
            logger.warning(
                "resuming on %d processes a run saved on %d: batches and dropout differ "
                "from an uninterrupted run",
                self.ctx.world_size,
                ckpt.get("world_size", 1),
            )
            torch.manual_seed(self.config.seed + 7919 * self.step + self.ctx.rank)
        else:
            self.pending_rng = rngs[r]
        if self.ctx.is_main:
            self.metrics.truncate(self.step)
        logger.info("resumed %s at step %d (data position %d)", path, self.step, self.data_position)

    def save(self, name: str = ck.LAST) -> Path:
        """Write a checkpoint (every rank takes part; rank 0 writes)."""
        per_rank = distributed.gather_objects(self.ctx, (ck.capture_rng(), self.data_position))
        path = self.out_dir / name
        if self.ctx.is_main:
            state = ck.make_checkpoint(
                self.static,
                self.model,
                self.step,
                self.samples_seen,
                optimizer=self.opt.state_dict(),
                scheduler=self.sched.state_dict(),
                rng=[rng for rng, _ in per_rank],
                data_position=self.data_position,
                data_positions=[pos for _, pos in per_rank],
                world_size=self.ctx.world_size,
                callbacks=[cb.state_dict() for cb in self.callbacks],
                metrics_tail=self.metrics.tail(50),
                elapsed_s=self.elapsed(),
                log_accumulator=(float(self.loss_sum), self.loss_n),
                best_top1=self.best_top1,
            )
            ck.atomic_save(state, path)
            logger.info("checkpoint %s at step %d", path, self.step)
        return path

    def elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self.t_start

    # -- the loop ---------------------------------------------------------------------
    def loop(self) -> TrainResult:
        cfg, ctx = self.config, self.ctx
        bare = self.model
        for cb in self.callbacks:  # before DDP: a pass may put parametrizations on the model
            cb.on_train_start(bare)
        net: nn.Module = bare
        if ctx.distributed:
            ids = [ctx.device.index] if ctx.device.type == "cuda" else None
            net = DistributedDataParallel(bare, device_ids=ids)
        batches: Any = iter(())
        if self.step < self.total:  # no data worker for a run that is already complete
            stream = self.source.stream(ctx.rank, ctx.world_size, self.data_position)
            batches = iter(make_loader(stream, cfg.workers))
        # After the worker started: an optimizer's first construction imports torch._dynamo
        # (seconds), which now overlaps with the worker making the first batches.
        self.opt, self.sched = build_optimizer(bare, cfg, self.total)
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

            bar = tqdm(total=self.total, initial=self.step, unit="step", dynamic_ncols=True)
        self.t_start = time.monotonic()
        t_log, n_log = time.monotonic(), 0
        last_save = time.monotonic()
        stopped, first = False, True
        net.train()
        stop = StopFlag()
        stop.install()
        try:
            while self.step < self.total:
                x, lengths, labels, index = next(batches)
                x = x.to(ctx.device, non_blocking=True)
                lengths = lengths.to(ctx.device, non_blocking=True)
                labels = labels.to(ctx.device, non_blocking=True)
                loss = nn.functional.cross_entropy(
                    net(x, lengths), labels, label_smoothing=cfg.label_smoothing
                )
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                for cb in self.callbacks:
                    cb.after_backward(bare, self.step)
                if cfg.grad_clip > 0:
                    nn.utils.clip_grad_norm_(bare.parameters(), cfg.grad_clip)
                self.opt.step()
                self.sched.step()
                for cb in self.callbacks:
                    cb.after_step(bare, self.step)
                self.step += 1
                self.samples_seen += len(labels) * ctx.world_size
                self.data_position = int(index) + 1
                self.loss_sum += loss.detach()
                self.loss_n += 1
                n_log += len(labels) * ctx.world_size
                if bar is not None:
                    bar.update(1)
                if first:
                    first = False
                    logger.info("first step of this process done: step %d", self.step)
                if self.step % max(1, cfg.log_every) == 0 or self.step == self.total:
                    rate = n_log / max(1e-9, time.monotonic() - t_log)
                    self._log(rate, bar)
                    t_log, n_log = time.monotonic(), 0
                t_pause = time.monotonic()
                if ctx.is_main and (
                    (cfg.val_every > 0 and self.step % cfg.val_every == 0)
                    or self.step == self.total
                ):
                    self._validate()
                due = time.monotonic() - last_save >= cfg.checkpoint_minutes * 60
                every = cfg.checkpoint_every > 0 and self.step % cfg.checkpoint_every == 0
                due, stop_now = distributed.broadcast_flags(ctx, [due or every, stop.set])
                if due or stop_now or self.step == self.total:
                    self.save()
                    last_save = time.monotonic()
                t_log += time.monotonic() - t_pause  # samples/s counts training time only
                if stop_now and self.step < self.total:
                    stopped = True
                    break
        finally:
            stop.uninstall()
        if bar is not None:
            bar.close()
        if ctx.is_main and self.plotted_step != self.step:
            save_outputs(self.out_dir, self.metrics)
        v = self.last_val or {}
        return TrainResult(
            step=self.step,
            samples_seen=self.samples_seen,
            loss=self.last_loss,
            val_top1=v.get("top1"),
            val_top10=v.get("top10"),
            checkpoint=self.out_dir / ck.LAST,
            elapsed_s=self.elapsed(),
            stopped=stopped,
        )

    def _log(self, rate: float, bar: Any) -> None:
        if self.loss_n == 0:
            return
        loss = float(self.loss_sum) / self.loss_n
        self.last_loss = loss
        self.loss_sum.zero_()
        self.loss_n = 0
        if not self.ctx.is_main:
            return
        lr = self.opt.param_groups[0]["lr"]
        self.metrics.append(
            {
                "kind": "train",
                "step": self.step,
                "samples": self.samples_seen,
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
        result = evaluate(self.model, self.val, top=10, device=self.ctx.device)
        self.last_val = result
        rec = {
            "kind": "val",
            "step": self.step,
            "samples": self.samples_seen,
            "val_top1": result["top1"],
            "val_top10": result["top10"],
            "val_loss": result["loss"],
            "elapsed_s": round(self.elapsed(), 3),
        }
        self.metrics.append(rec)
        logger.info(
            "step %d: validation top-1 %.2f%%, top-10 %.2f%% on %d samples",
            self.step,
            100 * result["top1"],
            100 * result["top10"],
            result["n"],
        )
        save_outputs(self.out_dir, self.metrics)
        self.plotted_step = self.step
        if result["top1"] > self.best_top1:
            self.best_top1 = result["top1"]
            self._save_best()

    def _save_best(self) -> None:
        state = ck.make_checkpoint(self.static, self.model, self.step, self.samples_seen,
                                   best_top1=self.best_top1, elapsed_s=self.elapsed())
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
