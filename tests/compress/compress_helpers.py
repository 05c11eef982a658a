"""Tiny models, batches and a training loop for the compression tests, built in a second."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
from torch import nn

from trainer.model import BaselineLSTM, ModelConfig

torch.set_num_threads(1)

CLASSES = 12


def tiny_baseline(seed: int = 0, pooling: str = "mean", stride2: int = 1) -> BaselineLSTM:
    torch.manual_seed(seed)
    cfg = ModelConfig(
        num_classes=CLASSES, hidden1=8, hidden2=16, fc=16, pooling=pooling, stride2=stride2
    )
    return BaselineLSTM(cfg)


def batch(seed: int = 1, size: int = 4, steps: int = 11) -> tuple[torch.Tensor, ...]:
    """x (B, T, 6) zero-padded, lengths all different (the longest = T), labels."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([steps, 3, 7, 1, 9, 5][:size], dtype=torch.int64)
    x = torch.randn(size, steps, 6, generator=g)
    x = x * (torch.arange(steps)[None, :] < lengths[:, None])[:, :, None]
    labels = torch.randint(0, CLASSES, (size,), generator=g)
    return x, lengths, labels


def sgd_steps(model: nn.Module, callbacks: list, steps: int, lr: float = 0.05) -> None:
    """A few steps of the train() protocol: backward, after_backward, step, after_step."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for cb in callbacks:
        cb.on_train_start(model)
    model.train()
    for step in range(steps):
        x, lengths, labels = batch(seed=100 + step)
        loss = nn.functional.cross_entropy(model(x, lengths), labels)
        opt.zero_grad()
        loss.backward()
        for cb in callbacks:
            cb.after_backward(model, step)
        opt.step()
        for cb in callbacks:
            cb.after_step(model, step)
    model.eval()
