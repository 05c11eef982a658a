"""The stages of `trainer build` (and `trainer finetune`) as data: one ``Stage`` record each.

A stage is what it starts from (a fresh baseline, or a copy of an earlier stage's model, or a
low-rank factorization of one), the passes it trains with, and how the report measures it. The
pipeline reads these records instead of branching on stage names; ``presets.STAGES`` keeps the
order (and names each stage's TrainConfig).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from trainer.build.presets import STAGES, BuildConfig
from trainer.compress.prune import AdaptiveDropWeight
from trainer.compress.quantize import KMeansQuantizer

#: The file in a factored stage's folder that holds the factorization's figures (its details).
FACTOR_FILE = "factor.json"


def no_callbacks(config: BuildConfig, start: nn.Module | None) -> list[Any]:
    return []


@dataclass(frozen=True)
class Stage:
    """One stage.

    Attributes:
        name: its folder, its TrainConfig in ``BuildConfig``, its row in the report.
        description: one line of what it does (the report's).
        start: the stage whose trained model it starts from (a copy made from its spec);
            None: a fresh baseline model.
        factored: it starts from a low-rank factorization of ``start``, whose figures are
            written to ``FACTOR_FILE`` and become the stage's details.
        fp32: the report sizes its fp32 ONNX file (else its model package).
        callbacks: the passes it trains with, given the build's settings and the model it
            starts from (None for a fresh baseline).
    """

    name: str
    description: str
    start: str | None = None
    factored: bool = False
    fp32: bool = False
    callbacks: Callable[[BuildConfig, nn.Module | None], list[Any]] = no_callbacks


REGISTRY: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("baseline", "fp32 baseline, Input-LSTM-LSTM-FC-FC", fp32=True),
        Stage(
            "svd",
            "SVD low-rank reconstruction + fine-tuning",
            start="baseline",
            factored=True,
            fp32=True,
        ),
        Stage(
            "prune",
            "Adaptive Drop Weight pruning + retraining",
            start="svd",
            callbacks=lambda config, start: [AdaptiveDropWeight(config.pruning)],
        ),
        Stage(
            "quant",
            "k-means weight sharing + centroid fine-tuning (final package)",
            start="prune",
            callbacks=lambda config, start: [KMeansQuantizer(config.quantization)],
        ),
    )
}

#: The build's stages in the order they run.
BUILD_STAGES: tuple[Stage, ...] = tuple(REGISTRY[name] for name in STAGES)
