"""Seed streams of the training data, and the per-epoch shuffled order built on them.

Every random choice of the data draws from ``np.random.default_rng([seed, TAG, index])``;
distinct tags keep the streams disjoint, so e.g. validation writers never coincide with
training writers.
"""

from __future__ import annotations

import numpy as np

#: Tags of the streams.
CLASS_ORDER, TRAIN_SAMPLE, VAL_SAMPLE, BATCH_ORDER = 0, 1, 2, 3
#: Validation writers do not depend on the run's seed, so every run is scored on the same set.
VAL_SEED = 0x5EED_0FF


class EpochOrder:
    """Global index i -> item of the shuffle of n items for epoch i // n (seeded per epoch)."""

    def __init__(self, n: int, seed: int) -> None:
        if n < 1:
            raise ValueError(f"EpochOrder needs at least one item, got {n}")
        self.n, self.seed = n, seed
        self._cache: dict[int, np.ndarray] = {}

    def __call__(self, i: int) -> int:
        epoch, pos = divmod(i, self.n)
        perm = self._cache.get(epoch)
        if perm is None:
            if len(self._cache) > 2:
                self._cache.clear()
            perm = np.random.default_rng([self.seed, CLASS_ORDER, epoch]).permutation(self.n)
            self._cache[epoch] = perm
        return int(perm[pos])


class WeightedOrder:
    """Global index i -> a class drawn with probabilities ``weights``: each epoch of n
    indices draws its n classes at once (seeded per epoch, as ``EpochOrder``)."""

    def __init__(self, weights: np.ndarray, seed: int) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or len(w) < 1 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedOrder needs finite weights >= 0, not all 0")
        self.n, self.seed = len(w), seed
        self._cdf = np.cumsum(w / w.sum())
        self._cache: dict[int, np.ndarray] = {}

    def __call__(self, i: int) -> int:
        epoch, pos = divmod(i, self.n)
        draw = self._cache.get(epoch)
        if draw is None:
            if len(self._cache) > 2:
                self._cache.clear()
            u = np.random.default_rng([self.seed, CLASS_ORDER, epoch]).random(self.n)
            draw = np.minimum(
                np.searchsorted(self._cdf, u * self._cdf[-1], side="right"), self.n - 1
            )
            self._cache[epoch] = draw
        return int(draw[pos])
