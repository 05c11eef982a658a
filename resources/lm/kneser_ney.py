"""Interpolated modified Kneser-Ney character n-grams: estimated, mixed, pruned, quantized, written.

Each source is estimated on its own after Chen & Goodman (1998), "An empirical study of
smoothing techniques for language modeling", section 3.4 (interpolated modified Kneser-Ney),
with the adjusted counts of KenLM (Heafield et al. 2013): the highest order and n-grams that
begin with a start token keep their raw counts, every other n-gram counts its distinct left
neighbours. An unpruned interpolated model is exactly a backoff model whose backoff weight is
the interpolation weight gamma(h), so models are kept in backoff form (as ARPA files are).

The sources are then mixed statically (SRILM's ``ngram -mix-lm``): every n-gram of any source
gets the weighted sum of the sources' probabilities, and each history a backoff weight that
makes it sum to 1. Pruning keeps an n-gram when P(h, w) * (log P(w | h) - log P_backoff(w | h))
reaches a threshold (Seymore & Rosenfeld 1996, "Scalable backoff language models": weighted
difference); the stored log-probabilities are quantized to a 1-D k-means codebook and the
backoff weights recomputed from the pruned, quantized model so every distribution sums to 1.

numpy only. Tokens: 0 is the text start (BOS), 1 the start of a dictionary word (DBOS: counted,
never a history at run time), 2.. the hanzi in code-point order. The engine reads what
``to_arrays`` makes (engine/language.py describes the file).

The parts, one file each: kn_keys.py (token ids, n-gram keys), kn_backoff.py (the backoff form),
kn_estimate.py (one source), kn_mix.py (the mixture, its EM weights), kn_store.py (pruning,
quantization) and kn_file.py (the .npz); this module re-exports their names.
"""

from __future__ import annotations

from kn_backoff import Backoff, normalize, query
from kn_estimate import Corpus, discounts, encode, estimate, windows
from kn_file import to_arrays, write_npz
from kn_keys import BOS, DBOS, FIRST, PAD, digits, groups, key_of, lookup, segment_sum
from kn_mix import em_weights, histories, mix
from kn_store import NgramConfig, Stored, codebook, kept, prune_scores, quantize, shift, store

__all__ = [
    "BOS",
    "Backoff",
    "Corpus",
    "DBOS",
    "FIRST",
    "NgramConfig",
    "PAD",
    "Stored",
    "codebook",
    "digits",
    "discounts",
    "em_weights",
    "encode",
    "estimate",
    "groups",
    "histories",
    "kept",
    "key_of",
    "lookup",
    "mix",
    "normalize",
    "prune_scores",
    "quantize",
    "query",
    "segment_sum",
    "shift",
    "store",
    "to_arrays",
    "windows",
    "write_npz",
]
