"""Interpolated modified Kneser-Ney character n-grams, pruned, quantized and written for the engine.

Counts follow Chen & Goodman (1998), "An empirical study of smoothing techniques for language
modeling", section 3.4 (interpolated modified Kneser-Ney), with the adjusted counts of KenLM
(Heafield et al. 2013): the highest order and n-grams that begin with a start token keep their
raw counts, every other n-gram counts its distinct left neighbours. Pruning drops n-grams of
order k whose raw count is under ``min_counts[k - 2]``; the backoff weights are then
recomputed from the pruned, quantized model (as SRILM does after pruning), so that every
context's distribution still sums to 1.

numpy only. The engine reads the arrays this writes (engine/language.py, format described
there); tokens: 0 is the text start (BOS), 1 is the start of a dictionary word (DBOS, used
while counting only: it never reaches the file), 2.. the hanzi in code-point order.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BOS, DBOS, FIRST = 0, 1, 2


@dataclass(frozen=True)
class NgramConfig:
    """How the n-gram model is estimated and stored.

    Attributes:
        order: the longest n-gram (2: bigram, 3: trigram, 4).
        min_counts: for orders 2..order, the raw count an n-gram needs to be stored (a
            pruned n-gram's probability comes from its backoff).
        levels: quantization levels of the stored log-probabilities (uint8: at most 256).
    """

    order: int = 3
    min_counts: tuple[int, ...] = (1, 2)
    levels: int = 256

    def __post_init__(self) -> None:
        if not 2 <= self.order <= 4:
            raise ValueError(f"order must be 2..4, got {self.order}")
        if len(self.min_counts) != self.order - 1 or min(self.min_counts) < 1:
            raise ValueError(f"min_counts needs {self.order - 1} counts >= 1, got {self.min_counts}")
        if not 2 <= self.levels <= 256:
            raise ValueError(f"levels must be 2..256, got {self.levels}")


@dataclass
class Corpus:
    """Token streams to count: runs of hanzi, each after a start token, with a weight.

    Attributes:
        vocab: the hanzi, sorted by code point (token FIRST + i is vocab[i]).
        runs: (text, start token, weight) per run; ``text`` holds only vocab hanzi.
    """

    vocab: str
    runs: list[tuple[str, int, int]] = field(default_factory=list)

    def add(self, text: str, start: int = BOS, weight: int = 1) -> None:
        if text:
            self.runs.append((text, start, weight))


def encode(corpus: Corpus) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tokens, position within its run (0 = start token), weight) over all runs: int64 (T,)."""
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


@dataclass
class Order:
    """The n-grams of one order: sorted keys (base-B digits, oldest first) and their counts."""

    keys: np.ndarray  # int64 (M,)
    raw: np.ndarray  # int64 (M,) weighted occurrences
    adjusted: np.ndarray | None = None  # int64 (M,) KenLM adjusted counts
    logp: np.ndarray | None = None  # float64 (M,) interpolated log P(w | h)
    gamma: np.ndarray | None = None  # float64 (M,) the history's interpolation weight


def count(tokens: np.ndarray, pos: np.ndarray, weight: np.ndarray, n: int, base: int) -> Order:
    """Every window of n tokens inside one run (its first token may be the start token)."""
    end = np.flatnonzero(pos >= n - 1)
    key = np.zeros(len(end), dtype=np.int64)
    for j in range(n):
        key = key * base + tokens[end - (n - 1) + j]
    keys, inverse = np.unique(key, return_inverse=True)
    raw = np.bincount(inverse.ravel(), weights=weight[end], minlength=len(keys))
    return Order(keys, raw.astype(np.int64))


def discounts(adjusted: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney D1, D2, D3+ from the counts of counts (Chen & Goodman eq. 26)."""
    t = np.array([np.sum(adjusted == k) for k in (1, 2, 3, 4)], dtype=np.float64)
    if np.any(t == 0):  # a toy corpus: fall back to the usual values
        return np.array([0.5, 1.0, 1.5])
    y = t[0] / (t[0] + 2 * t[1])
    d = np.array([1 - 2 * y * t[1] / t[0], 2 - 3 * y * t[2] / t[1], 3 - 4 * y * t[3] / t[2]])
    return np.clip(d, 0.0, np.array([1.0, 2.0, 3.0]))


def groups(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start of each group, group index per element) of a sorted int array."""
    first = np.flatnonzero(np.concatenate([[True], hist[1:] != hist[:-1]]))
    index = np.cumsum(np.concatenate([[False], hist[1:] != hist[:-1]]))
    return first, index


def estimate(tokens: np.ndarray, pos: np.ndarray, weight: np.ndarray, order: int,
             base: int) -> list[Order]:
    """Orders 1..order with adjusted counts and interpolated log-probabilities."""
    orders = [count(tokens, pos, weight, n, base) for n in range(1, order + 1)]
    for n in range(order, 0, -1):
        o = orders[n - 1]
        if n == order:
            o.adjusted = o.raw.copy()
        else:
            # Continuation counts: the distinct (n+1)-gram types that end with this n-gram.
            suffix = orders[n].keys % base**n
            cont = np.bincount(np.searchsorted(o.keys, suffix), minlength=len(o.keys))
            first_token = o.keys // base ** (n - 1)
            o.adjusted = np.where(first_token <= DBOS, o.raw, cont)
    uni = orders[0]
    hanzi = uni.keys >= FIRST
    uni.keys, uni.raw, uni.adjusted = uni.keys[hanzi], uni.raw[hanzi], uni.adjusted[hanzi]
    for n, o in enumerate(orders, start=1):
        assert o.adjusted is not None
        a = o.adjusted.astype(np.float64)
        d = discounts(o.adjusted)
        disc = d[np.minimum(o.adjusted, 3) - 1]
        hist = o.keys // base if n > 1 else np.zeros(len(o.keys), dtype=np.int64)
        first, index = groups(hist)
        denom = np.add.reduceat(a, first)
        spent = np.add.reduceat(disc, first)
        gamma = (spent / denom)[index]
        u = (a - disc) / denom[index]
        if n == 1:
            lower = np.full(len(a), 1.0 / len(a))
        else:
            prev = orders[n - 2]
            assert prev.logp is not None
            at = np.searchsorted(prev.keys, o.keys % base ** (n - 1))
            assert np.all(prev.keys[at] == o.keys % base ** (n - 1)), "a suffix is missing"
            lower = np.exp(prev.logp[at])
        o.logp = np.log(u + gamma * lower)
        o.gamma = gamma
    return orders


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
    """One order as the engine stores it.

    Attributes:
        hist: uint16 (H, k-1) history tokens, rows in lexicographic order.
        backoff: float16 (H,) natural-log backoff weight of each history.
        rowlen: uint32 (H,) stored successors per history.
        succ: uint16 (E,) successor tokens, row after row, ascending within a row.
        q: uint8 (E,) index into ``codebook`` of log P(succ | hist).
        codebook: float32 (L,) log-probabilities.
    """

    hist: np.ndarray
    backoff: np.ndarray
    rowlen: np.ndarray
    succ: np.ndarray
    q: np.ndarray
    codebook: np.ndarray


def digits(keys: np.ndarray, n: int, base: int) -> np.ndarray:
    """int64 (M, n) base-``base`` digits of ``keys``, most significant first."""
    out = np.empty((len(keys), n), dtype=np.int64)
    for j in range(n - 1, -1, -1):
        out[:, j] = keys % base
        keys = keys // base
    return out


def lower_logp(stored: list[Stored], uni: np.ndarray, hist: np.ndarray, w: np.ndarray,
               base: int) -> np.ndarray:
    """log P(w | hist) under the stored orders ``stored`` (2..): float64 (M,).

    ``hist`` int64 (M, m) of tokens, ``w`` int64 (M,). Uses the last len(stored) tokens of
    each history, exactly as the engine does (unigram, then each order's backoff and rows).
    """
    out = uni[w].astype(np.float64)
    for k, s in enumerate(stored, start=2):
        hkeys = _keys(s.hist.astype(np.int64), base)
        want = _keys(hist[:, hist.shape[1] - (k - 1):], base)
        at = np.minimum(np.searchsorted(hkeys, want), len(hkeys) - 1)
        hit = hkeys[at] == want if len(hkeys) else np.zeros(len(w), dtype=bool)
        lb = np.where(hit, s.backoff[at].astype(np.float64), 0.0) if len(hkeys) else 0.0
        out = out + lb  # backed off ...
        if not len(hkeys):
            continue
        ekeys = np.repeat(np.arange(len(hkeys)), s.rowlen.astype(np.int64)) * base + s.succ
        find = np.where(hit, at, 0) * base + w
        e = np.minimum(np.searchsorted(ekeys, find), len(ekeys) - 1)
        found = hit & (ekeys[e] == find)
        out = np.where(found, s.codebook[s.q[e]].astype(np.float64), out)  # ... or stored
    return out


def _keys(rows: np.ndarray, base: int) -> np.ndarray:
    key = np.zeros(rows.shape[0], dtype=np.int64)
    for j in range(rows.shape[1]):
        key = key * base + rows[:, j]
    return key


def store(orders: list[Order], config: NgramConfig, base: int) -> tuple[np.ndarray, list[Stored]]:
    """(unigram log-probs float32 (base,), the stored orders 2..order), pruned and quantized.

    Token ids are the counting ids; the writer shifts them down past DBOS.
    """
    uni = np.full(base, -np.inf)
    assert orders[0].logp is not None
    uni[orders[0].keys] = orders[0].logp
    uni = uni.astype(np.float32)
    stored: list[Stored] = []
    for k in range(2, config.order + 1):
        o = orders[k - 1]
        assert o.logp is not None
        d = digits(o.keys, k, base)
        keep = (o.raw >= config.min_counts[k - 2]) & np.all(d[:, :-1] != DBOS, axis=1)
        keys, logp, d = o.keys[keep], o.logp[keep], d[keep]
        if not len(keys):
            empty = np.zeros(0)
            stored.append(Stored(np.zeros((0, k - 1), np.uint16), empty.astype(np.float16),
                                 empty.astype(np.uint32), empty.astype(np.uint16),
                                 empty.astype(np.uint8), np.zeros(1, np.float32)))
            continue
        book = codebook(logp, config.levels)
        q = np.searchsorted((book[1:] + book[:-1]) / 2, logp)
        low = lower_logp(stored, uni, d[:, :-1], d[:, -1], base)
        first, index = groups(keys // base)
        exact = 1 - np.add.reduceat(np.exp(logp), first)
        num = 1 - np.add.reduceat(np.exp(book[q]), first)
        # Rounding up can leave a near-certain row no mass to back off with: round it down.
        bad = (num < 0.5 * exact)[index]
        down = np.maximum(np.searchsorted(book, logp, side="right") - 1, 0)
        q = np.where(bad, down, q)
        num = 1 - np.add.reduceat(np.exp(book[q]), first)
        den = 1 - np.add.reduceat(np.exp(low), first)
        backoff = np.log(np.maximum(num, 1e-12)) - np.log(np.maximum(den, 1e-12))
        stored.append(Stored(
            hist=d[first, :-1].astype(np.uint16), backoff=backoff.astype(np.float16),
            rowlen=np.diff(np.concatenate([first, [len(keys)]])).astype(np.uint32),
            succ=d[:, -1].astype(np.uint16), q=q.astype(np.uint8),
            codebook=book.astype(np.float32)))
    return uni, stored


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def write_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """A reproducible .npz (LZMA members, fixed timestamps) that np.load reads."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_LZMA
            z.writestr(info, npy(arrays[name]))
    return buf.getvalue()


def shift(tokens: np.ndarray) -> np.ndarray:
    """Counting ids -> file ids: BOS stays 0, hanzi FIRST + i become 1 + i."""
    t = tokens.astype(np.int64)
    return np.where(t >= FIRST, t - 1, t)


def to_arrays(vocab: str, uni: np.ndarray, stored: Sequence[Stored], suggest: np.ndarray,
              version: int, magic: bytes) -> dict[str, np.ndarray]:
    """The members of the engine's .npz (see engine/language.py)."""
    arrays: dict[str, np.ndarray] = {
        "magic": np.frombuffer(magic, dtype=np.uint8),
        "version": np.array([version], dtype=np.int64),
        "vocab": np.frombuffer(vocab.encode("utf-32-le"), dtype=np.uint32),
        "unigram": np.concatenate([[0.0], uni[FIRST:]]).astype(np.float32),
        "suggest": suggest.astype(np.uint8),
    }
    for k, s in enumerate(stored, start=2):
        arrays[f"hist{k}"] = shift(s.hist).astype(np.uint16)
        arrays[f"backoff{k}"] = s.backoff
        arrays[f"rowlen{k}"] = s.rowlen
        arrays[f"succ{k}"] = shift(s.succ).astype(np.uint16)
        arrays[f"q{k}"] = s.q
        arrays[f"codebook{k}"] = s.codebook
    return arrays


def build(corpus: Corpus, config: NgramConfig) -> tuple[np.ndarray, list[Stored], list[Order]]:
    """Estimate, prune and quantize: (unigram, stored orders, the unpruned orders)."""
    base = len(corpus.vocab) + FIRST
    tokens, pos, weight = encode(corpus)
    orders = estimate(tokens, pos, weight, config.order, base)
    uni, stored = store(orders, config, base)
    return uni, stored, orders
