"""The batch a model reads: padded features, lengths, labels (and where it sits in a stream)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch


class Batch(NamedTuple):
    """x (B, T, 6) float32 zero-padded, lengths (B,) int64, labels (B,) int64, and index: the
    batch's position in its training stream (-1: a validation batch)."""

    x: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    index: int = -1


def pad(feats: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad (T_i, 6) features: x (B, max T_i, 6) float32 and lengths (B,) int64."""
    lengths = np.array([len(f) for f in feats], dtype=np.int64)
    x = np.zeros((len(feats), int(lengths.max()), feats[0].shape[1]), dtype=np.float32)
    for i, f in enumerate(feats):
        x[i, : len(f)] = f
    return torch.from_numpy(x), torch.from_numpy(lengths)


def make_batch(feats: Sequence[np.ndarray], labels: Sequence[int], index: int = -1) -> Batch:
    """The Batch of features (T_i, 6) and their class labels."""
    return Batch(*pad(feats), torch.tensor(list(labels), dtype=torch.int64), index)
