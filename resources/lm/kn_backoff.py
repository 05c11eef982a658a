"""The backoff form of an n-gram model: ``Backoff``, its lookup ``query`` and the backoff
weights (``normalize``) that make each history's distribution sum to 1."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from kn_keys import groups, key_of, lookup, segment_sum


@dataclass
class Backoff:
    """A backoff n-gram model over tokens 0..base-1.

    Attributes:
        unigram: float64 (base,) log P(w); -inf for the start tokens.
        hist, backoff: per order k = 2..: sorted int64 history keys (base-``base`` digits,
            oldest first) and their float64 log backoff weights.
        keys, logp: per order k: sorted int64 n-gram keys (history key * base + w) and
            float64 log P(w | h).
        freq: per order k: float64 relative frequency of each n-gram (for pruning).
    """

    base: int
    unigram: np.ndarray
    hist: list[np.ndarray] = field(default_factory=list)
    backoff: list[np.ndarray] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)
    logp: list[np.ndarray] = field(default_factory=list)
    freq: list[np.ndarray] = field(default_factory=list)

    @property
    def order(self) -> int:
        return len(self.keys) + 1


def query(model: Backoff, hist: np.ndarray, w: np.ndarray) -> np.ndarray:
    """log P(w | hist): float64 (M,). ``hist`` int64 (M, m), oldest first, PAD before a start.

    P(w | h) is the stored value if hw is stored, else backoff(h) * P(w | h without its oldest
    token); the engine computes the same (engine/language.py).
    """
    out = model.unigram[w].astype(np.float64)
    m = hist.shape[1]
    for k in range(2, min(model.order, m + 1) + 1):
        if not len(model.keys[k - 2]):  # nothing stored at this order: backoff weights are 1
            continue
        hk = key_of(hist[:, m - (k - 1) :], model.base)
        at, hit = lookup(model.hist[k - 2], hk)
        e, found = lookup(model.keys[k - 2], hk * model.base + w)
        backed = out + np.where(hit, model.backoff[k - 2][at], 0.0)
        out = np.where(found, model.logp[k - 2][e], backed)
    return out


def normalize(
    logp: np.ndarray,
    lower: np.ndarray,
    hist_keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(history keys, log backoff) that make each history's stored logp plus the backed-off
    rest of ``lower`` (log P of the same w under the lower order) sum to 1."""
    first, _ = groups(hist_keys)
    num = 1 - segment_sum(np.exp(logp), first)
    den = 1 - segment_sum(np.exp(lower), first)
    return hist_keys[first], np.log(np.maximum(num, 1e-12)) - np.log(np.maximum(den, 1e-12))
