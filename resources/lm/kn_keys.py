"""Token ids and n-gram keys as int64 (base-``base`` digits, oldest first), with the sorted-array
helpers the Kneser-Ney builder works with (kneser_ney.py: the method)."""

from __future__ import annotations

import numpy as np

BOS, DBOS, FIRST = 0, 1, 2
#: A history position before the text start (never matches a stored key: keys are >= 0).
PAD = -1


def key_of(rows: np.ndarray, base: int) -> np.ndarray:
    """int64 (M,) keys of token rows (M, n), oldest first; a PAD makes the key negative."""
    key = np.zeros(rows.shape[0], dtype=np.int64)
    for j in range(rows.shape[1]):
        key = key * base + rows[:, j]
    return key


def digits(keys: np.ndarray, n: int, base: int) -> np.ndarray:
    """int64 (M, n) base-``base`` digits of non-negative ``keys``, oldest first."""
    out = np.empty((len(keys), n), dtype=np.int64)
    for j in range(n - 1, -1, -1):
        out[:, j] = keys % base
        keys = keys // base
    return out


def groups(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start of each run of equal values, run index of each element) of a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    change = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    return np.flatnonzero(change), np.cumsum(change) - 1


def segment_sum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Sums of ``values`` over the runs that start at ``first`` (np.add.reduceat; empty-safe)."""
    return np.add.reduceat(values, first) if len(values) else np.zeros(0)


def lookup(sorted_keys: np.ndarray, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, found) of each ``want`` in ``sorted_keys``."""
    if not len(sorted_keys):
        return np.zeros(len(want), dtype=np.int64), np.zeros(len(want), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, want), len(sorted_keys) - 1)
    return at, sorted_keys[at] == want
