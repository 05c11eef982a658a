"""Per-layer k-means weight sharing (Han, Mao, Dally, "Deep Compression", ICLR 2016, Sec. 3).

The non-zero weights of a layer are clustered into k centroids (1-D k-means, centroids
initialised linearly over [min, max], which Han et al. found best for accuracy; a centroid
left empty, e.g. in the gap pruning leaves around zero, is moved to the worst-served weight);
each weight becomes its centroid: a parametrization ``weight = centroids[codes]``, the
centroids the clusters' means, so a centroid's gradient is its members' (Han et al., Eq. 3)
and zeros (pruned weights, code -1) stay zero. ``KMeansQuantizer`` clusters the layers and
puts the parametrizations on.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from trainer.compress.layers import resolve
from trainer.compress.prune import parametrized

logger = logging.getLogger(__name__)


def _default_clusters() -> dict[str, int]:
    # Han et al. keep 5 bits for FC layers without loss. Measured on the first full build
    # (3755 classes, no fine-tuning): fc2 at k=16 cost 24 points of top-1, k=32 8, k=64 2
    # (the logits' top-1/top-2 margin is small against their spread); lstm1 at 32 cost 1
    # point (7 bits cost 6 KB there); lstm2 at 32 0.7; fc1 at 32 0.2.
    return {"lstm1": 128, "lstm2": 64, "fc1": 32, "fc2": 64}


@dataclass
class QuantConfig:
    """k-means weight sharing settings.

    Attributes:
        clusters: centroids k per weight matrix, keyed by full name or module prefix (see
            trainer.compress.layers.resolve); the longest matching key wins.
        default_clusters: k for weight matrices no key names (None: not quantized).
        iterations: Lloyd iterations of the 1-D k-means.
        centroid_grad: "sum" of the members' gradients (the exact gradient of a centroid,
            Han et al. Eq. 3, meant for SGD) or their "mean" (the default). Under AdamW both
            give the same update, but train() clips the global gradient norm, and sums over
            thousands of members (fc2) would shrink every other layer's gradient to nothing.
    """

    clusters: dict[str, int] = field(default_factory=_default_clusters)
    default_clusters: int | None = None
    iterations: int = 30
    centroid_grad: str = "mean"

    def __post_init__(self) -> None:
        if self.centroid_grad not in ("sum", "mean"):
            raise ValueError(f"centroid_grad must be 'sum' or 'mean', got {self.centroid_grad!r}")
        for name, k in {**self.clusters, "default_clusters": self.default_clusters}.items():
            if k is not None and not 2 <= k <= 256:
                raise ValueError(f"clusters of {name} must be in 2..256, got {k!r}")
        if self.iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {self.iterations}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def kmeans_1d(values: torch.Tensor, k: int, iterations: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means on 1-D ``values`` (n,), linear init over [min, max], empties re-seeded.

    Returns centroids (k,) float32 sorted ascending and codes (n,) int64 in [0, k).
    """
    v = values.detach().double().flatten()
    if v.numel() == 0:
        return torch.zeros(k), torch.zeros(0, dtype=torch.int64)
    centroids = torch.linspace(float(v.min()), float(v.max()), k, dtype=torch.float64)
    for _ in range(iterations):
        codes = torch.bucketize(v, (centroids[1:] + centroids[:-1]) / 2)
        sums = torch.zeros(k, dtype=torch.float64).index_add_(0, codes, v)
        counts = torch.bincount(codes, minlength=k)
        new = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
        empty = counts == 0
        if bool(empty.any()):
            # Pruning empties the band around zero, where linear init puts centroids; move
            # each empty one onto a value its current centroid serves worst.
            err = (v - new[codes]).abs()
            far = torch.topk(err, min(int(empty.sum()), v.numel())).indices
            new[torch.nonzero(empty).flatten()[: len(far)]] = v[far]
        new, _ = torch.sort(new)
        if torch.equal(new, centroids):
            break
        centroids = new
    codes = torch.bucketize(v, (centroids[1:] + centroids[:-1]) / 2)
    return centroids.float(), codes


class _ScaleGrad(torch.autograd.Function):
    """Identity forward; the gradient times ``scale`` (one factor per element)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(scale)
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (scale,) = ctx.saved_tensors
        return grad * scale, None


class SharedWeights(nn.Module):
    """Parametrization ``weight = centroids[codes]`` (0 where the code is -1), the centroids
    being each cluster's mean of the trained matrix (float64 sums: n equal members give back
    their value exactly).

    So every member's gradient is its cluster's "mean" (or, scaled, "sum") gradient, as the
    pass gave them by hand before; members start equal and take equal optimizer steps.
    """

    def __init__(self, codes: torch.Tensor, k: int, centroid_grad: str) -> None:
        super().__init__()
        codes = codes.long()
        self.register_buffer("codes", codes)
        self.register_buffer(
            "counts", torch.bincount(codes[codes >= 0], minlength=k).clamp(min=1).double()
        )
        self.sum_grads = centroid_grad == "sum"

    def forward(self, matrix: torch.Tensor) -> torch.Tensor:
        member = self.codes >= 0
        codes = self.codes[member]
        sums = matrix.new_zeros(len(self.counts), dtype=torch.float64).index_add(
            0, codes, matrix[member].double()
        )
        centroids = sums / self.counts
        if self.sum_grads:
            centroids = _ScaleGrad.apply(centroids, self.counts)
        return F.pad(centroids.to(matrix.dtype), (0, 1))[self.codes]  # code -1: appended 0


class KMeansQuantizer:
    """Weight-sharing pass; also a trainer.train TrainCallback.

    Lifecycle: ``prepare(model)`` (``on_train_start``) clusters each layer (unless
    load_state_dict gave its codes) and puts a SharedWeights on it; training then moves the
    centroids; ``finalize`` removes the parametrizations, leaving plain weights of at most k
    distinct non-zero values, and reports. All of them change ``model`` in place.
    """

    def __init__(self, config: QuantConfig) -> None:
        self.config = config
        self.clusters: dict[str, int] = {}
        self.codes: dict[str, torch.Tensor] = {}  # int16, -1 for a zero (pruned) weight

    @torch.no_grad()
    def prepare(self, model: nn.Module) -> None:
        """Cluster each layer (unless load_state_dict already gave its codes) and share."""
        if not self.clusters:
            self.clusters = resolve(
                model, self.config.clusters, self.config.default_clusters, "clusters"
            )
        for name, k in self.clusters.items():
            module, attr = parametrized(model, name)
            if parametrize.is_parametrized(module, attr):
                continue
            w = getattr(module, attr)
            if name not in self.codes:
                nz = w != 0
                centroids, codes = kmeans_1d(w[nz], k, self.config.iterations)
                full = torch.full(w.shape, -1, dtype=torch.int16)
                full[nz] = codes.to(torch.int16)
                self.codes[name] = full
                w[nz] = centroids[codes].to(w.dtype)
            sharing = SharedWeights(self.codes[name].to(w.device), k, self.config.centroid_grad)
            parametrize.register_parametrization(module, attr, sharing)

    def on_train_start(self, model: nn.Module) -> None:
        self.prepare(model)

    def after_backward(self, model: nn.Module, step: int) -> None:
        pass  # the parametrization shares the gradients

    def after_step(self, model: nn.Module, step: int) -> None:
        pass  # the weights are the centroids' by construction

    def finalize(self, model: nn.Module) -> dict[str, dict[str, int]]:
        """Leave plain weights (each its centroid's value) and report."""
        self.prepare(model)
        for name in self.clusters:
            module, attr = parametrized(model, name)
            parametrize.remove_parametrizations(module, attr, leave_parametrized=True)
        return self.report(model)

    def report(self, model: nn.Module) -> dict[str, dict[str, int]]:
        """{layer: {"k", "distinct_nonzero", "nonzero", "numel"}} for every quantized layer."""
        out = {}
        for name, k in self.clusters.items():
            module, attr = parametrized(model, name)
            w = getattr(module, attr).detach()
            nz = w[w != 0]
            out[name] = {
                "k": k,
                "distinct_nonzero": int(torch.unique(nz).numel()),
                "nonzero": int(nz.numel()),
                "numel": w.numel(),
            }
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"codes": {n: c.clone() for n, c in self.codes.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.codes = {n: c.to(torch.int16) for n, c in state["codes"].items()}
