"""The static mixture of the sources' models (SRILM's ``ngram -mix-lm``) and its EM weights
on the positions of a text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from kn_backoff import Backoff, normalize, query
from kn_keys import BOS, DBOS, FIRST, PAD, digits, lookup


def mix(models: Sequence[Backoff], weights: Sequence[float]) -> Backoff:
    """The static mixture sum_i weights[i] * models[i] (weights sum to 1), in backoff form.

    N-grams whose history holds a dictionary-word start are left out: never a run-time history.
    """
    lam = np.asarray(weights, dtype=np.float64)
    base, order = models[0].base, models[0].order
    with np.errstate(divide="ignore"):
        uni = np.log(sum(w * np.exp(m.unigram) for w, m in zip(lam, models, strict=False)))
    out = Backoff(base, uni)
    for k in range(2, order + 1):
        keys = np.unique(np.concatenate([m.keys[k - 2] for m in models]))
        d = digits(keys, k, base)
        keep = np.all(d[:, :-1] != DBOS, axis=1)
        keys, d = keys[keep], d[keep]
        p = np.zeros(len(keys))
        freq = np.zeros(len(keys))
        for w, m in zip(lam, models, strict=False):
            p += w * np.exp(query(m, d[:, :-1], d[:, -1]))
            at, hit = lookup(m.keys[k - 2], keys)
            if len(m.keys[k - 2]):
                freq += w * np.where(hit, m.freq[k - 2][at], 0.0)
        logp = np.log(p)
        lower = query(out, d[:, 1:-1], d[:, -1])
        hist, backoff = normalize(logp, lower, keys // base)
        out.hist.append(hist)
        out.backoff.append(backoff)
        out.keys.append(keys)
        out.logp.append(logp)
        out.freq.append(freq)
    return out


def histories(
    texts: Sequence[str],
    vocab: str,
    order: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every hanzi position of ``texts`` (each from its start) as (hist (M, order-1), w (M,),
    whether w is in ``vocab``), in counting ids; what the engine reads as each one's context."""
    index = {c: i + FIRST for i, c in enumerate(vocab)}
    hist, ws, known = [], [], []
    for text in texts:
        h = [PAD] * (order - 2) + [BOS]
        for c in text:
            t = index.get(c)
            if t is None:  # not a known hanzi: a boundary
                if "\u4e00" <= c <= "\u9fff":
                    hist.append(h[-(order - 1) :])
                    ws.append(BOS)
                    known.append(False)
                h = [PAD] * (order - 2) + [BOS]
                continue
            hist.append(h[-(order - 1) :])
            ws.append(t)
            known.append(True)
            h = h + [t]
    return (
        np.array(hist, dtype=np.int64).reshape(-1, order - 1),
        np.array(ws, dtype=np.int64),
        np.array(known, dtype=bool),
    )


def em_weights(logps: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Mixture weights maximizing the likelihood of (S sources, M positions) log-probabilities."""
    lam = np.full(logps.shape[0], 1.0 / logps.shape[0])
    p = np.exp(logps)
    for _ in range(iterations):
        post = lam[:, None] * p
        post /= post.sum(axis=0, keepdims=True)
        lam = post.mean(axis=1)
    return lam  # type: ignore[no-any-return]
