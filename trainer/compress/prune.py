"""Adaptive Drop Weight pruning (Xiao, Jin et al., Pattern Recognition 2017) during retraining.

Each layer's drop ratio rises step by step toward its target: every ``interval`` steps by
target / ``increments``. At each raise the layer's weights are sorted by |w| and the smallest
are dropped, exactly round(ratio * numel) of them; pruned weights stay pruned. The mask is a
parametrization, ``weight = original * mask`` (as torch.ao.pruning's FakeSparsity), so a
pruned weight gets no gradient and is zero in every forward; ``AdaptiveDropWeight`` is the
schedule that grows the masks.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from trainer.compress.layers import resolve

logger = logging.getLogger(__name__)


def _default_sparsity() -> dict[str, float]:
    # Targets for the full model with the default ranks (docs/compression.md). The FC layers
    # are the most redundant (Han et al. prune FC layers by 90%+): fc1 and fc2's class factor
    # U (3755 x 192) 80%; fc2's shared factor V and the factored LSTM matrices, already small
    # and the most sensitive, 50-60%; lstm1's input matrix (400 x 6) is left whole. With
    # random weights these targets give a 43x smaller package at 88% for fc2.U / 85% for
    # fc1; 80% spends part of that margin on accuracy (about 35x; bench/bench_compress.py).
    return {
        "lstm1.weight_hh": 0.5,
        "lstm2.weight_ih_U": 0.6,
        "lstm2.weight_hh": 0.5,
        "fc1.weight": 0.8,
        "fc2.weight_U": 0.8,
        "fc2.weight_V": 0.5,
    }


@dataclass
class PruneConfig:
    """Adaptive Drop Weight settings.

    Attributes:
        sparsity: target fraction of zeros per weight matrix, keyed by full name or module
            prefix (see trainer.compress.layers.resolve); the longest matching key wins.
        default_sparsity: target for weight matrices no key names (0: left dense).
        interval: optimizer steps between two raises of the drop ratio.
        increments: raises to reach the target; each adds target / increments. The targets
            are reached at step interval * (increments - 1); retrain for a while after that.
    """

    sparsity: dict[str, float] = field(default_factory=_default_sparsity)
    default_sparsity: float = 0.0
    interval: int = 100
    increments: int = 10

    def __post_init__(self) -> None:
        for name, s in {**self.sparsity, "default_sparsity": self.default_sparsity}.items():
            if not 0.0 <= s < 1.0:
                raise ValueError(f"sparsity of {name} must be in [0, 1), got {s!r}")
        if self.interval < 1 or self.increments < 1:
            raise ValueError(
                f"interval and increments must be >= 1, got {self.interval}, {self.increments}"
            )

    @property
    def steps_to_target(self) -> int:
        """The step at which every layer has reached its target."""
        return self.interval * (self.increments - 1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class WeightMask(nn.Module):
    """Parametrization ``weight = original * mask``; ``mask`` a bool buffer of the weight's
    shape."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, original: torch.Tensor) -> torch.Tensor:
        return original * self.mask


def parametrized(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    """The module that holds the parameter ``name`` ("fc2.weight_U") and its attribute name."""
    prefix, _, attr = name.rpartition(".")
    return model.get_submodule(prefix), attr


class AdaptiveDropWeight:
    """Pruning schedule; also a trainer.train TrainCallback.

    Lifecycle: ``prepare(model)`` (or ``on_train_start``) puts a WeightMask on every layer
    with a target and makes the first masks, ``step(model, step)`` (``after_step``) raises
    the ratios, ``finalize(model)`` applies the final targets and removes the
    parametrizations, leaving plain weights with the pruned ones zero. All of them change
    ``model`` in place.
    """

    def __init__(self, config: PruneConfig) -> None:
        self.config = config
        self.targets: dict[str, float] = {}
        self.masks: dict[str, torch.Tensor] = {}
        self.last_step = 0

    def ratio(self, name: str, step: int) -> float:
        """Drop ratio of ``name`` in force after optimizer step ``step`` (0: before training)."""
        c = self.config
        raises = min(step // c.interval + 1, c.increments)
        return self.targets[name] * raises / c.increments

    @classmethod
    def holding(cls, model: nn.Module, config: PruneConfig) -> AdaptiveDropWeight:
        """The pass with ``model``'s own zeros as its masks, at its targets from the first step
        (retraining an already pruned model: ``trainer finetune``)."""
        adw = cls(config)
        adw._resolve(model)
        adw.load_state_dict(
            {
                "last_step": config.steps_to_target,
                "masks": {
                    name: getattr(*parametrized(model, name)).detach() != 0 for name in adw.targets
                },
            }
        )
        return adw

    def _resolve(self, model: nn.Module) -> None:
        """The per-layer targets of ``model`` (the layers with a target above 0)."""
        if not self.targets:
            self.targets = {
                n: s
                for n, s in resolve(
                    model, self.config.sparsity, self.config.default_sparsity, "sparsity"
                ).items()
                if s > 0.0
            }

    def prepare(self, model: nn.Module) -> None:
        """Resolve the per-layer targets and mask them (with the masks of load_state_dict)."""
        self._resolve(model)
        if self.masks:
            missing = set(self.targets) - set(self.masks)
            if missing:
                raise ValueError(f"pruning state has no mask for {sorted(missing)}")
        for name in self.targets:
            module, attr = parametrized(model, name)
            if not parametrize.is_parametrized(module, attr):
                w = getattr(module, attr)
                mask = self.masks.get(name, torch.ones_like(w, dtype=torch.bool)).to(w.device)
                parametrize.register_parametrization(module, attr, WeightMask(mask))
                self.masks[name] = module.parametrizations[attr][0].mask
        self._update(model, self.last_step)

    def on_train_start(self, model: nn.Module) -> None:
        self.prepare(model)

    def after_backward(self, model: nn.Module, step: int) -> None:
        pass  # the parametrization masks the gradients

    def after_step(self, model: nn.Module, step: int) -> None:
        self.step(model, step)

    def step(self, model: nn.Module, step: int) -> None:
        """After optimizer step ``step``: raise the ratios on schedule."""
        self.last_step = step
        self._update(model, step)

    def finalize(self, model: nn.Module) -> dict[str, dict[str, float]]:
        """Bring every layer to its target (warns if the schedule had not), leave plain
        weights (pruned ones zero) and report."""
        self.prepare(model)
        late = [n for n in self.targets if self.ratio(n, self.last_step) < self.targets[n]]
        if late:
            logger.warning(
                "pruning schedule not finished at step %d for %s; jumping to targets",
                self.last_step,
                late,
            )
        self._update(model, max(self.last_step, self.config.steps_to_target))
        for name in self.targets:
            module, attr = parametrized(model, name)
            parametrize.remove_parametrizations(module, attr, leave_parametrized=True)
        return self.report(model)

    def report(self, model: nn.Module) -> dict[str, dict[str, float]]:
        """{layer: {"numel", "zeros", "sparsity", "target"}} for every pruned layer."""
        out = {}
        for name, target in self.targets.items():
            module, attr = parametrized(model, name)
            w = getattr(module, attr)
            zeros = int((w == 0).sum())
            out[name] = {
                "numel": w.numel(),
                "zeros": zeros,
                "sparsity": zeros / w.numel(),
                "target": target,
            }
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"last_step": self.last_step, "masks": {n: m.clone() for n, m in self.masks.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_step = int(state["last_step"])
        self.masks = {n: m.to(torch.bool) for n, m in state["masks"].items()}

    @torch.no_grad()
    def _update(self, model: nn.Module, step: int) -> None:
        """Grow each mask to round(ratio * numel) zeros, smallest |w| first (masks persist)."""
        for name in self.targets:
            module, attr = parametrized(model, name)
            mask = module.parametrizations[attr][0].mask
            n_drop = math.floor(self.ratio(name, step) * mask.numel() + 0.5)
            if int((~mask).sum()) < n_drop:
                # Rank by |w|, pruned ones first, so masks only ever grow.
                score = module.parametrizations[attr].original.detach().abs().flatten().clone()
                score[~mask.flatten()] = -1.0
                new = torch.ones(mask.numel(), dtype=torch.bool, device=mask.device)
                new[torch.argsort(score, stable=True)[:n_drop]] = False
                mask.copy_(new.view_as(mask))
