"""The model as the file stores it: pruned by weighted difference, closed under prefixes into a
trie, log-probabilities quantized to a k-means codebook and backoff weights recomputed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from kn_backoff import Backoff, normalize, query
from kn_keys import FIRST, digits, groups, lookup, segment_sum


@dataclass(frozen=True)
class NgramConfig:
    """How the n-gram model is estimated and stored.

    Attributes:
        order: the longest n-gram (2: bigram, 3: trigram, 4).
        prune: weighted-difference threshold (nats x probability); 0 keeps every n-gram.
        levels: quantization levels of the stored log-probabilities (uint8: at most 256).
    """

    order: int = 3
    prune: float = 0.0
    levels: int = 256

    def __post_init__(self) -> None:
        if not 2 <= self.order <= 4:
            raise ValueError(f"order must be 2..4, got {self.order}")
        if self.prune < 0:
            raise ValueError(f"prune must be >= 0, got {self.prune}")
        if not 2 <= self.levels <= 256:
            raise ValueError(f"levels must be 2..256, got {self.levels}")


def prune_scores(model: Backoff, k: int) -> np.ndarray:
    """P(h, w) * (log P(w | h) - log(backoff(h) P(w | h'))) of each order-k n-gram."""
    keys = model.keys[k - 2]
    d = digits(keys, k, model.base)
    at, _ = lookup(model.hist[k - 2], keys // model.base)
    backed = model.backoff[k - 2][at] + query(model, d[:, 1:-1], d[:, -1])
    return model.freq[k - 2] * (model.logp[k - 2] - backed)  # type: ignore[no-any-return]


def codebook(values: np.ndarray, levels: int, iterations: int = 12) -> np.ndarray:
    """1-D k-means (Lloyd) centres of ``values``, sorted: float64 (<= levels,)."""
    v = np.sort(values)
    centres = np.unique(np.quantile(v, (np.arange(levels) + 0.5) / levels))
    for _ in range(iterations):
        idx = np.searchsorted((centres[1:] + centres[:-1]) / 2, v)
        sums = np.bincount(idx, weights=v, minlength=len(centres))
        hits = np.bincount(idx, minlength=len(centres))
        centres = np.unique(np.where(hits > 0, sums / np.maximum(hits, 1), centres))
    return centres


@dataclass
class Stored:
    """One order k as the file stores it: a level of a trie (ids are file ids).

    Attributes:
        rowlen: uint32, per parent: for k = 2 every token (V,), for k > 2 every stored
            (k-1)-gram in order; how many of this order's n-grams extend it.
        backoff: float16 (H,) log backoff weight of each parent whose rowlen is not 0.
        succ: uint16 (E,) the last token of each n-gram, parent after parent, ascending.
        q: uint8 (E,) index into ``codebook`` of log P(succ | parent).
        codebook: float32 (L,) log-probabilities.
    """

    rowlen: np.ndarray
    backoff: np.ndarray
    succ: np.ndarray
    q: np.ndarray
    codebook: np.ndarray


def kept(model: Backoff, config: NgramConfig) -> list[np.ndarray]:
    """Per order k = 2..: which n-grams to store. Pruned by weighted difference, then closed
    under prefixes (a stored n-gram's history is a stored (n-1)-gram: the file is a trie)."""
    masks = [
        prune_scores(model, k) >= config.prune
        if config.prune > 0
        else np.ones(len(model.keys[k - 2]), dtype=bool)
        for k in range(2, model.order + 1)
    ]
    for k in range(model.order, 2, -1):
        prefixes = model.keys[k - 2][masks[k - 2]] // model.base
        at, found = lookup(model.keys[k - 3], prefixes)
        assert np.all(found), "an n-gram's history is not an n-gram of the order below"
        masks[k - 3][at] = True
    return masks


def quantize(logp: np.ndarray, first: np.ndarray, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """(codebook float64 (L,), codes (E,)): nearest level, except rows that rounding up would
    leave with less than half their backoff mass, which round down."""
    book = codebook(logp, levels)
    q = np.searchsorted((book[1:] + book[:-1]) / 2, logp)
    exact = 1 - segment_sum(np.exp(logp), first)
    rounded = 1 - segment_sum(np.exp(book[q]), first)
    index = np.cumsum(np.isin(np.arange(len(logp)), first)) - 1
    down = np.maximum(np.searchsorted(book, logp, side="right") - 1, 0)
    return book, np.where((rounded < 0.5 * exact)[index], down, q)


def store(model: Backoff, config: NgramConfig) -> tuple[Backoff, list[Stored]]:
    """Prune and quantize ``model``: (the stored model in backoff form, its orders as stored).

    Orders go lowest first so that each backoff weight is computed against the lower orders
    exactly as they are stored (quantized values, float16 backoffs).
    """
    final = Backoff(model.base, model.unigram.astype(np.float32).astype(np.float64))
    stored = []
    masks = kept(model, config)
    for k in range(2, model.order + 1):
        keys, logp = model.keys[k - 2][masks[k - 2]], model.logp[k - 2][masks[k - 2]]
        d = digits(keys, k, model.base)
        hist_keys = keys // model.base
        if k == 2:
            parents = shift(d[:, 0]).astype(np.int64)
            n_parents = model.base - 1
        else:
            parents = np.searchsorted(final.keys[k - 3], hist_keys)
            n_parents = len(final.keys[k - 3])
        rowlen = np.bincount(parents, minlength=n_parents).astype(np.uint32)
        if len(keys):
            first, _ = groups(hist_keys)
            book, q = quantize(logp, first, config.levels)
            lower = query(final, d[:, 1:-1], d[:, -1])
            hist, backoff = normalize(book[q], lower, hist_keys)
        else:
            book, q = np.zeros(1), np.zeros(0, dtype=np.int64)
            hist, backoff = np.zeros(0, dtype=np.int64), np.zeros(0)
        backoff16 = backoff.astype(np.float16)
        final.hist.append(hist)
        final.backoff.append(backoff16.astype(np.float64))
        final.keys.append(keys)
        final.logp.append(book.astype(np.float32)[q].astype(np.float64))
        final.freq.append(np.zeros(len(keys)))
        stored.append(
            Stored(
                rowlen=rowlen,
                backoff=backoff16,
                succ=shift(d[:, -1]),
                q=q.astype(np.uint8),
                codebook=book.astype(np.float32),
            )
        )
    return final, stored


def shift(tokens: np.ndarray) -> np.ndarray:
    """Counting ids -> file ids: BOS stays 0, hanzi FIRST + i become 1 + i (as uint16)."""
    return np.where(tokens >= FIRST, tokens - 1, tokens).astype(np.uint16)
