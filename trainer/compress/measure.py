"""Figures of a stage: parameters, MACs per character (analytic) and onnxruntime latency."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from engine.session import ModelSession
from trainer.compress.svd import LowRankLSTMLayer
from trainer.model import BaselineLSTM

#: The sequence length the paper's figures are given at (points per character).
SEQ_LEN = 70


def param_counts(model: nn.Module) -> tuple[int, int]:
    """(all parameters, non-zero parameters)."""
    total = sum(p.numel() for p in model.parameters())
    nonzero = sum(int((p != 0).sum()) for p in model.parameters())
    return total, nonzero


def macs_per_char(model: nn.Module, seq_len: int = SEQ_LEN, dense: bool = False) -> dict[str, int]:
    """Multiply-accumulates of one character of ``seq_len`` points, per part of the model.

    A matrix applied to a vector costs one MAC per non-zero weight (``dense``: per weight, as
    onnxruntime executes it); a factored matrix costs its two factors. The LSTM matrices run
    at every step (the second every ``stride2``-th: ceil(seq_len / stride2) steps), the FC
    layers once. Element-wise gate arithmetic is not counted.
    Returns {"lstm1", "lstm2.input", "lstm2.hidden", "fc1", "fc2", "total"}.
    """

    def cost(*names: str) -> int:
        params = dict(model.named_parameters())
        ps = [params[n] for n in names if n in params]
        return sum(p.numel() if dense else int((p != 0).sum()) for p in ps)

    lstm2 = model.get_submodule("lstm2")
    ih: tuple[str, ...]
    hh: tuple[str, ...]
    if isinstance(lstm2, LowRankLSTMLayer):
        ih = ("lstm2.weight_ih", "lstm2.weight_ih_U", "lstm2.weight_ih_V")
        hh = ("lstm2.weight_hh", "lstm2.weight_hh_U", "lstm2.weight_hh_V")
    else:
        ih, hh = ("lstm2.weight_ih_l0",), ("lstm2.weight_hh_l0",)
    stride = model.config.stride2 if isinstance(model, BaselineLSTM) else 1
    steps2 = -(-seq_len // stride)
    out = {
        "lstm1": seq_len * cost("lstm1.weight_ih_l0", "lstm1.weight_hh_l0"),
        "lstm2.input": steps2 * cost(*ih),
        "lstm2.hidden": steps2 * cost(*hh),
        "fc1": cost("fc1.weight", "fc1.weight_U", "fc1.weight_V"),
        "fc2": cost("fc2.weight", "fc2.weight_U", "fc2.weight_V"),
    }
    out["total"] = sum(out.values())
    return out


class OrtModel(ModelSession):
    """The session users run (engine.session), so the report times what the recognizer runs.

    OrtModel(onnx_bytes, tensors=None, threads=1); ``run(features, lengths) -> logits``.
    """


@dataclass(frozen=True)
class Latency:
    """Per-character latency in milliseconds (batch of one, ``seq_len`` points).

    ``median_ms``, ``p95_ms``, ``min_ms``: warm runs, the session having just run (characters
    written one after another). ``cold_median_ms``: the first run of each block, right after
    the other sessions ran and evicted this one's weights from the caches.
    """

    median_ms: float
    p95_ms: float
    min_ms: float
    runs: int
    cold_median_ms: float


def latencies(
    models: dict[str, OrtModel],
    runs: int = 50,
    warmup: int = 5,
    seq_len: int = SEQ_LEN,
    seed: int = 0,
    block: int = 10,
) -> dict[str, Latency]:
    """Time every session on the same character, in interleaved blocks of ``block`` runs.

    Interleaving makes the figures comparable when other processes load the machine: a
    busy moment slows every stage alike instead of one of them. Blocks keep each session's
    weights warm after the block's first run; run by run interleaving would time every
    run of a small model just after the 14 MB baseline had swept the caches (measured on the
    full build: 1.65 ms against 1.13 ms warm). ``runs`` warm runs per session are timed;
    each block's first run is the cold figure.
    """
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    if block < 2:
        raise ValueError(f"block must be >= 2 (one cold run, then warm ones), got {block}")
    x = np.random.default_rng(seed).standard_normal((1, seq_len, 6)).astype(np.float32)
    lengths = np.array([seq_len], dtype=np.int64)
    for m in models.values():
        for _ in range(warmup):
            m.run(x, lengths)
    warm: dict[str, list[float]] = {k: [] for k in models}
    cold: dict[str, list[float]] = {k: [] for k in models}
    while min(len(v) for v in warm.values()) < runs:
        for name, m in models.items():
            for j in range(block):
                t = time.perf_counter()
                m.run(x, lengths)
                (cold if j == 0 else warm)[name].append((time.perf_counter() - t) * 1e3)
    return {k: _summary(warm[k][:runs], cold[k]) for k in models}


def _summary(ms: Sequence[float], cold: Sequence[float]) -> Latency:
    a = np.asarray(ms)
    return Latency(
        float(np.median(a)),
        float(np.percentile(a, 95)),
        float(a.min()),
        len(a),
        float(np.median(np.asarray(cold))),
    )
