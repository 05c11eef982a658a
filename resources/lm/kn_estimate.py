"""One source's interpolated modified Kneser-Ney model (Chen & Goodman 1998, KenLM's adjusted
counts), estimated from its ``Corpus`` of runs and kept in backoff form."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from kn_backoff import Backoff, query
from kn_keys import BOS, DBOS, FIRST, digits, groups, key_of, segment_sum


@dataclass
class Corpus:
    """Runs of hanzi to count, each after a start token, with a weight (one source).

    Attributes:
        vocab: the hanzi of every source, sorted by code point (token FIRST + i is vocab[i]).
        runs: (text, start token, weight) per run; ``text`` holds only vocab hanzi.
    """

    vocab: str
    runs: list[tuple[str, int, int]] = field(default_factory=list)

    def add(self, text: str, start: int = BOS, weight: int = 1) -> None:
        if text:
            self.runs.append((text, start, weight))


def encode(corpus: Corpus) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tokens, position within its run (0 = start token), weight) over all runs: int64 (T,)."""
    if not corpus.runs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    cps = np.frombuffer("".join(r[0] for r in corpus.runs).encode("utf-32-le"), dtype=np.uint32)
    vocab = np.frombuffer(corpus.vocab.encode("utf-32-le"), dtype=np.uint32)
    ids = np.searchsorted(vocab, cps)
    assert np.all(vocab[np.minimum(ids, len(vocab) - 1)] == cps), "a run holds a non-vocab char"
    lengths = np.array([len(r[0]) for r in corpus.runs], dtype=np.int64) + 1
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    total = int(lengths.sum())
    tokens = np.empty(total, dtype=np.int64)
    is_start = np.zeros(total, dtype=bool)
    is_start[starts] = True
    tokens[is_start] = [r[1] for r in corpus.runs]
    tokens[~is_start] = ids + FIRST
    pos = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    weight = np.repeat(np.array([r[2] for r in corpus.runs], dtype=np.int64), lengths)
    return tokens, pos, weight


def discounts(adjusted: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney D1, D2, D3+ from the counts of counts (Chen & Goodman eq. 26)."""
    t = np.array([np.sum(adjusted == k) for k in (1, 2, 3, 4)], dtype=np.float64)
    if np.any(t == 0):  # a toy corpus: the usual values
        return np.array([0.5, 1.0, 1.5])
    y = t[0] / (t[0] + 2 * t[1])
    d = np.array([1 - 2 * y * t[1] / t[0], 2 - 3 * y * t[2] / t[1], 3 - 4 * y * t[3] / t[2]])
    return np.clip(d, 0.0, np.array([1.0, 2.0, 3.0]))


def windows(
    tokens: np.ndarray, pos: np.ndarray, weight: np.ndarray, n: int, base: int
) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct keys, weighted counts) of the n-token windows inside one run."""
    end = np.flatnonzero(pos >= n - 1)
    rows = np.stack([tokens[end - (n - 1) + j] for j in range(n)], axis=1)
    keys, inverse = np.unique(key_of(rows, base), return_inverse=True)
    raw = np.bincount(inverse.ravel(), weights=weight[end], minlength=len(keys))
    return keys, raw.astype(np.int64)


def estimate(corpus: Corpus, order: int) -> Backoff:
    """The interpolated modified Kneser-Ney model of one source, in backoff form."""
    base = len(corpus.vocab) + FIRST
    tokens, pos, weight = encode(corpus)
    counted = [windows(tokens, pos, weight, n, base) for n in range(1, order + 1)]
    adjusted = [counted[-1][1]]
    for n in range(order - 1, 0, -1):  # continuation counts: distinct left neighbours
        keys, raw = counted[n - 1]
        cont = np.bincount(np.searchsorted(keys, counted[n][0] % base**n), minlength=len(keys))
        adjusted.insert(0, np.where(keys // base ** (n - 1) <= DBOS, raw, cont))
    model = Backoff(base, np.full(base, -np.inf))
    for n in range(1, order + 1):
        keys, raw = counted[n - 1]
        a = adjusted[n - 1]
        if n == 1:
            hanzi = keys >= FIRST
            keys, raw, a = keys[hanzi], raw[hanzi], a[hanzi]
        disc = discounts(a)[np.minimum(a, 3) - 1]
        hist = keys // base if n > 1 else np.zeros(len(keys), dtype=np.int64)
        first, index = groups(hist)
        denom = segment_sum(a.astype(np.float64), first)
        gamma = np.maximum(segment_sum(disc, first) / denom, 1e-12)
        u = (a - disc) / denom[index]
        if n == 1:
            p = np.zeros(base)
            p[keys] = u
            p[FIRST:] += gamma[0] / (base - FIRST)  # the uniform distribution below the unigram
            with np.errstate(divide="ignore"):
                model.unigram = np.log(p)
            continue
        lower = np.exp(query(model, digits(keys // base, n - 1, base)[:, 1:], keys % base))
        model.hist.append(hist[first])
        model.backoff.append(np.log(gamma))
        model.keys.append(keys)
        model.logp.append(np.log(u + gamma[index] * lower))
        model.freq.append(raw / max(raw.sum(), 1))
    return model
