"""How often each class is trained: a mix of uniform and text frequency (issue 25).

Balanced epochs give every class the same number of samples, yet the 300 most frequent
characters make about two thirds of any text and are the ones read worst on real writers
(57.8% top-1 against 66.3% overall; simple shapes such as 一, 丁, 日 are easily confused).
``class_weights`` mixes the uniform distribution with the characters' unigram frequency in
the bundled language model's training text (``resources/lm/lm.npz``), tempered so that the
most frequent characters get more samples, and so more writers, without starving the rest.
"""

from __future__ import annotations

import numpy as np

from engine.language import LanguageModel
from trainer.data.errors import DataError


def unigram(classes: str) -> np.ndarray:
    """P(c) of each class in the language model's text (float64, sums to 1 over ``classes``;
    characters the model never saw get its smallest probability)."""
    path = LanguageModel.default().path
    try:
        with np.load(path, allow_pickle=False) as z:
            vocab, logp = z["vocab"], z["unigram"]
    except (OSError, KeyError, ValueError) as e:
        raise DataError(
            f"cannot read the unigram frequencies of {path} ({e}); rebuild it with "
            "resources/lm/regenerate.py or set DataConfig.class_uniform=1"
        ) from e
    index = {int(cp): i + 1 for i, cp in enumerate(vocab.tolist())}  # token 1 + i: vocab[i]
    floor = float(logp[1:].min())
    lp = np.array([float(logp[index[ord(c)]]) if ord(c) in index else floor for c in classes])
    p = np.exp(lp - lp.max())
    return p / p.sum()


#: Characters real writers' inks are read as one another (issue 25's confusion list, and
#: other pairs of one shape but a stroke's length or place). With ``even_lookalikes`` every
#: member of a group is drawn as often as the group's most frequent one: the network must
#: tell them apart by their shape, not by which is commoner (a text's context does that).
#: Drawn by frequency alone, 已 took 己's ambiguous inks: 己 read at 21-28% against 79-80%
#: with balanced classes (bench/eval_confusables.py). 日 / 曰 are left out: told apart only
#: by a proportion a writer's own aspect also changes, evened they read 日 59% / 曰 82%
#: (the real writers' misses include 日 -> 曰), as drawn 76% / 62% (the lever's fine-tune).
#: The groups are disjoint (groups that share a character are one group, their union: 田由
#: and 由甲申 are 田由甲申), so the draw does not depend on their order.
LOOKALIKES = (
    "己已巳", "未末", "土士", "人入八", "一二", "丁子", "巾中", "乞气", "山凶",
    "大太犬", "王玉主", "干千于", "刀力", "天夫", "午牛", "贝见", "木本术", "白自", "目且",
    "田由甲申", "戊戌戍", "今令", "折拆", "免兔", "儿几",
)  # fmt: skip


def class_weights(
    classes: str, uniform: float, temper: float, even_lookalikes: bool = False
) -> np.ndarray:
    """Sampling probability of each class: ``uniform`` of the samples spread evenly, the
    rest by frequency to the power ``temper`` (1: as in text, 0: uniform as well);
    ``even_lookalikes``: each LOOKALIKES group at its most frequent member's weight."""
    if not 0.0 <= uniform <= 1.0 or not 0.0 <= temper <= 1.0:
        raise ValueError(
            f"class_uniform and class_temper must be in [0, 1], got {uniform}, {temper}"
        )
    n = len(classes)
    if uniform >= 1.0:
        return np.full(n, 1.0 / n)
    q = unigram(classes) ** temper
    w = uniform / n + (1.0 - uniform) * q / q.sum()
    if even_lookalikes:
        index = {c: i for i, c in enumerate(classes)}
        for group in LOOKALIKES:
            rows = [index[c] for c in group if c in index]
            if rows:
                w[rows] = w[rows].max()
        w /= w.sum()
    return w
