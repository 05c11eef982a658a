"""Accuracy of a model: top-1 / top-k and the most confused pairs, on batches or an ink file."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.errors import InkError
from engine.ink import iter_jsonl
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig, preprocess
from trainer.checkpoint import load_checkpoint
from trainer.data.batch import Batch, pad
from trainer.errors import CheckpointError

logger = logging.getLogger(__name__)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[Batch],
    top: int = 10,
    device: torch.device | str = "cpu",
    confusions: int = 20,
) -> dict[str, Any]:
    """Accuracy of ``model`` over ``batches`` of (x (B, T, 6), lengths (B,), labels (B,)).

    The model is put in eval mode and back in its former mode afterwards.

    Returns:
        {"n": samples, "top1": fraction, f"top{top}": fraction, "loss": mean cross-entropy,
        "confused": [(true class, predicted class, count), ...] most frequent first}.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    was_training = model.training
    model.eval()
    n = correct1 = correctk = 0
    loss_sum = 0.0
    pairs: Counter[tuple[int, int]] = Counter()
    try:
        for x, lengths, labels, *_ in batches:
            x, labels = x.to(device), labels.to(device)
            logits = model(x, lengths.to(device))
            loss_sum += float(nn.functional.cross_entropy(logits, labels, reduction="sum"))
            k = min(top, logits.shape[1])
            pred = logits.topk(k, dim=1).indices
            hit1 = pred[:, 0] == labels
            correct1 += int(hit1.sum())
            correctk += int((pred == labels[:, None]).any(dim=1).sum())
            n += len(labels)
            wrong = ~hit1
            pairs.update(zip(labels[wrong].tolist(), pred[wrong, 0].tolist(), strict=True))
    finally:
        model.train(was_training)
    return {
        "n": n,
        "top1": correct1 / n if n else 0.0,
        f"top{top}": correctk / n if n else 0.0,
        "loss": loss_sum / n if n else 0.0,
        "confused": [(t, p, c) for (t, p), c in pairs.most_common(confusions)],
    }


@dataclass(frozen=True)
class InkSet:
    """Labelled inks of a JSONL file, featurized for one checkpoint's charset.

    Attributes:
        features: (T_i, 6) float32 per usable ink. labels: class index per usable ink.
        unknown: label -> count of inks whose label is not in the charset.
        unlabelled: inks with no label. invalid: (line, error) of lines that are not ink.
    """

    features: list[np.ndarray]
    labels: list[int]
    unknown: Counter[str]
    unlabelled: int
    invalid: list[tuple[int, str]]

    def batches(self, batch_size: int = 256) -> list[Batch]:
        """Batches sorted by length (little padding); labels (B,) int64."""
        order = sorted(range(len(self.features)), key=lambda i: len(self.features[i]))
        out = []
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            x, lengths = pad([self.features[i] for i in idx])
            out.append((x, lengths, torch.tensor([self.labels[i] for i in idx])))
        return out


def read_inkset(path: str | Path, charset: str, config: PreprocessConfig) -> InkSet:
    """Read and featurize a JSONL ink file (engine.preprocess, no augmentation)."""
    index = {c: i for i, c in enumerate(charset)}
    feats, labels, invalid = [], [], []
    unknown: Counter[str] = Counter()
    unlabelled = 0
    for line, item in iter_jsonl(path):
        if isinstance(item, InkError):
            invalid.append((line, str(item)))
        elif item.label is None:
            unlabelled += 1
        elif item.label not in index:
            unknown[item.label] += 1
        else:
            feats.append(preprocess(item, config))
            labels.append(index[item.label])
    return InkSet(feats, labels, unknown, unlabelled, invalid)


def evaluate_file(
    checkpoint: str | Path, inks: str | Path, top: int = 10, batch_size: int = 256
) -> dict[str, Any]:
    """Evaluate a checkpoint on a JSONL ink file, with the preprocessing stored in it.

    Returns:
        evaluate()'s dict, with "confused" as (true char, predicted char, count), plus
        "unknown" (label -> count, not in the charset), "unlabelled", "invalid" (line, error).
    Raises:
        CheckpointError: bad checkpoint, or one made with another preprocessing version.
        FileNotFoundError: no such ink file.
    """
    if not Path(inks).is_file():
        raise FileNotFoundError(f"ink file {inks} does not exist")
    model, ckpt = load_checkpoint(checkpoint)
    if ckpt["preprocess_version"] != PREPROCESS_VERSION:
        raise CheckpointError(
            f"{checkpoint} was trained with preprocessing version {ckpt['preprocess_version']}; "
            f"this engine has version {PREPROCESS_VERSION}"
        )
    charset: str = ckpt["charset"]
    data = read_inkset(inks, charset, PreprocessConfig.from_dict(ckpt["preprocess"]))
    result = evaluate(model, data.batches(batch_size), top=top)
    result["confused"] = [(charset[t], charset[p], c) for t, p, c in result["confused"]]
    result["unknown"] = dict(data.unknown.most_common())
    result["unlabelled"] = data.unlabelled
    result["invalid"] = data.invalid
    return result
