"""Optimizer and learning-rate schedule of a training run."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from trainer.train_config import TrainConfig

SCHEDULES = ("cosine", "onecycle", "constant")


def lr_factor(schedule: str, step: int, total: int, warmup: int, min_ratio: float) -> float:
    """Multiplier of the peak learning rate at 0-based ``step`` of ``total``.

    - "cosine": linear warmup over ``warmup`` steps, then half a cosine from 1 down to
      ``min_ratio`` at the last step (Loshchilov & Hutter, SGDR, 2017).
    - "onecycle": Smith & Topin 2018 as in torch's OneCycleLR: cosine up from 1/25 over the
      first 30% of steps, then cosine down to 1/25 * ``min_ratio``; ``warmup`` is ignored.
    - "constant": linear warmup, then 1.
    """
    if schedule == "onecycle":
        up = max(1, int(0.3 * total))
        start, end = 1 / 25, min_ratio / 25
        if step < up:
            return start + (1 - start) * (1 - math.cos(math.pi * step / up)) / 2
        p = min(1.0, (step - up) / max(1, total - up))
        return end + (1 - end) * (1 + math.cos(math.pi * p)) / 2
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * (1 + math.cos(math.pi * p)) / 2


def build_optimizer(
    model: nn.Module, config: TrainConfig, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW with weight decay on matrices only (not biases), and a LambdaLR schedule.

    The schedule is a closure, so its state_dict holds only the step count: a resumed run
    with a different number of total steps follows the new schedule from where it stands.
    """
    if config.schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {config.schedule!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    rest = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": rest, "weight_decay": 0.0},
        ],
        lr=config.lr,
    )
    schedule, warmup, min_ratio = config.schedule, config.warmup_steps, config.min_lr_ratio

    def factor(step: int) -> float:
        return lr_factor(schedule, step, total_steps, warmup, min_ratio)

    fn: Callable[[int], float] = factor
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, fn)
