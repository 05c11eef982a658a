"""Pruning and weight sharing as parametrizations train exactly as patching weights and
gradients by hand did (the passes before issue 16): same weights after N AdamW steps."""

from __future__ import annotations

import copy

import torch
from compress_helpers import batch, tiny_baseline
from torch import nn

from trainer.checkpoint import plain_weights
from trainer.compress.prune import AdaptiveDropWeight, PruneConfig
from trainer.compress.quantize import KMeansQuantizer, QuantConfig
from trainer.optim import build_optimizer
from trainer.train_config import TrainConfig

STEPS = 8
CONFIG = TrainConfig(lr=5e-3, warmup_steps=0, weight_decay=0.01, grad_clip=1.0)


def train_steps(model: nn.Module, patch_grads, patch_weights) -> None:
    """AdamW steps as train() takes them, with the old hand patching hooks."""
    opt, sched = build_optimizer(model, CONFIG, STEPS)
    torch.manual_seed(0)  # the same dropout in both runs
    for step in range(STEPS):
        x, lengths, labels = batch(seed=200 + step)
        loss = nn.functional.cross_entropy(model(x, lengths), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        patch_grads()
        nn.utils.clip_grad_norm_(model.parameters(), CONFIG.grad_clip)
        opt.step()
        sched.step()
        patch_weights()


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    wa, wb = a.state_dict(), b.state_dict()
    assert wa.keys() == wb.keys()
    for name in wa:
        assert torch.allclose(wa[name], wb[name], rtol=0, atol=1e-6), name


def test_masked_weights_train_as_hand_masked_gradients_did() -> None:
    model = tiny_baseline()
    adw = AdaptiveDropWeight(
        PruneConfig(sparsity={"fc1": 0.5, "fc2": 0.7, "lstm2": 0.4}, increments=1)
    )
    by_hand = copy.deepcopy(model)
    adw.prepare(model)
    masks = {n: m.clone() for n, m in adw.masks.items()}
    params = dict(by_hand.named_parameters())
    with torch.no_grad():
        for n, m in masks.items():
            params[n].mul_(m)

    def mask_grads() -> None:
        for n, m in masks.items():
            params[n].grad.mul_(m)

    @torch.no_grad()
    def mask_weights() -> None:
        for n, m in masks.items():
            params[n].mul_(m)

    train_steps(model, lambda: None, lambda: adw.step(model, 0))
    train_steps(by_hand, mask_grads, mask_weights)
    adw.finalize(model)
    assert_same_weights(model, by_hand)


def test_shared_weights_train_as_hand_shared_gradients_did() -> None:
    model = tiny_baseline()
    AdaptiveDropWeight(PruneConfig(sparsity={"fc1": 0.5, "fc2": 0.7}, increments=1)).finalize(model)
    quant = KMeansQuantizer(QuantConfig(clusters={"lstm1": 8, "lstm2": 16, "fc1": 4, "fc2": 4}))
    by_hand = copy.deepcopy(model)
    quant.prepare(model)
    by_hand.load_state_dict(plain_weights(model))  # plain weights, each its centroid's value
    params = dict(by_hand.named_parameters())
    codes = {n: c.long() for n, c in quant.codes.items()}

    def share(values: torch.Tensor, code: torch.Tensor, k: int) -> torch.Tensor:
        member = code >= 0
        total = torch.zeros(k, dtype=torch.float64).index_add_(
            0, code[member], values[member].double()
        )
        mean = total / torch.bincount(code[member], minlength=k).clamp(min=1)
        out = torch.zeros_like(values)
        out[member] = mean.to(values.dtype)[code[member]]
        return out

    def mean_grads() -> None:  # each weight gets its cluster's mean gradient
        for n, code in codes.items():
            params[n].grad.copy_(share(params[n].grad, code, quant.clusters[n]))

    @torch.no_grad()
    def snap() -> None:  # each weight back onto its cluster's mean
        for n, code in codes.items():
            params[n].copy_(share(params[n], code, quant.clusters[n]))

    train_steps(model, lambda: None, lambda: None)
    train_steps(by_hand, mean_grads, snap)
    quant.finalize(model)
    assert_same_weights(model, by_hand)
