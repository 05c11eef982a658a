"""Where training samples come from: synthesized from templates, or real ink (POT, JSONL).

A source maps a global sample index to raw ink, deterministically: (xy (N, 2) float64 y down,
sid (N,) int32, class index, the sample's numpy Generator for augmentation). Indices of one
epoch visit every training sample (or, for synthetic data, every class) once in a shuffled
order, so classes stay balanced. Validation samples are held out: synthetic ones come from
writer seeds disjoint from training, real ones from held-out files or lines. With synthetic
training data, any real ink in ``paths`` (POT files/folders, *.jsonl) is validation only.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from trainer.data.config import DataConfig
from trainer.data.errors import DataError
from trainer.data.frequency import class_weights
from trainer.data.real import RealSource, make_real_source, real_samples
from trainer.data.seeds import TRAIN_SAMPLE, VAL_SAMPLE, VAL_SEED, EpochOrder, WeightedOrder
from trainer.data.synth import sample_writer, synthesize_batch
from trainer.data.synth.confusable import distinguish
from trainer.data.synth.order import with_japanese
from trainer.data.templates import held_out_shape, load_charset, load_shapes, load_templates

Raw = tuple[np.ndarray, np.ndarray, int, np.random.Generator]
#: Validation samples synthesized per synthesize_batch call.
_VAL_CHUNK = 256


class SyntheticSource:
    """Handwriting synthesized from the stroke templates; sample i has its own writer."""

    def __init__(self, config: DataConfig) -> None:
        charset = load_charset(config.charset)
        if not 1 <= config.num_classes <= len(charset):
            raise ValueError(
                f"num_classes must be in 1..{len(charset)} for charset {config.charset!r}, "
                f"got {config.num_classes}"
            )
        self.classes = charset[: config.num_classes]
        templates = load_templates()
        missing = [c for c in self.classes if c not in templates]
        if missing:
            raise DataError(
                f"no stroke template for {len(missing)} classes: {''.join(missing[:20])}"
            )
        # templates kept to what tells each confusable character from its twin (日 / 曰)
        # ... and tagged with their Japanese order, for the writers with that habit
        self._strokes = [
            with_japanese(c, distinguish(c, templates.strokes(c))) for c in self.classes
        ]
        # per class: the templates of every other shape source that has it (and trains on it)
        self._others: list[list[tuple[list[np.ndarray], float]]] = [[] for _ in self.classes]
        for name, weight in config.shapes[1:]:
            shapes = load_shapes(name)
            for i, c in enumerate(self.classes):
                if c in shapes and not held_out_shape(c):
                    strokes = with_japanese(c, distinguish(c, shapes.strokes(c)))
                    self._others[i].append((strokes, weight))
        self._medians_weight = config.shapes[0][1]
        self._mixed = len(config.shapes) > 1
        self._synth = config.synth
        self._seed = config.seed
        # balanced epochs, or a mix of uniform and text frequency (issue 25)
        self._order: EpochOrder | WeightedOrder = (
            EpochOrder(len(self.classes), config.seed)
            if config.class_uniform >= 1.0
            else WeightedOrder(
                class_weights(
                    self.classes,
                    config.class_uniform,
                    config.class_temper,
                    config.class_even_lookalikes,
                ),
                config.seed,
            )
        )
        self.val_per_class = config.val_per_class
        self._real_paths = config.paths

    def _make(
        self, labels: list[int], rngs: list[np.random.Generator]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Synthesize class labels[b] with a fresh writer drawn from rngs[b], all at once."""
        shapes = [self.shape(c, rng) for c, rng in zip(labels, rngs, strict=True)]
        styles = [sample_writer(rng, self._synth) for rng in rngs]
        out = synthesize_batch(shapes, rngs, styles, self._synth)
        return [(xy, sid) for xy, sid, _ in out]

    def shape(self, c: int, rng: np.random.Generator) -> list[np.ndarray]:
        """Class c's template from one shape source, drawn by weight (no draw: one source)."""
        if not self._mixed:
            return self._strokes[c]
        u = float(rng.random())
        others = self._others[c]
        cum = np.cumsum([self._medians_weight, *(w for _, w in others)])
        k = int(np.searchsorted(cum, u * cum[-1], side="right"))
        return others[k - 1][0] if 0 < k <= len(others) else self._strokes[c]

    def train(self, i: int) -> Raw:
        return self.train_many(range(i, i + 1))[0]

    def train_many(self, indices: range) -> list[Raw]:
        """``[self.train(i) for i in indices]``, synthesized as one batch (same samples)."""
        if len(indices) == 0:
            return []
        labels = [self._order(i) for i in indices]
        rngs = [np.random.default_rng([self._seed, TRAIN_SAMPLE, i]) for i in indices]
        made = self._make(labels, rngs)
        return [(xy, sid, c, rng) for (xy, sid), c, rng in zip(made, labels, rngs, strict=True)]

    def validation(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        n = len(self.classes)
        total = n * self.val_per_class
        for start in range(0, total, _VAL_CHUNK):
            vs = range(start, min(start + _VAL_CHUNK, total))
            labels = [v % n for v in vs]
            rngs = [np.random.default_rng([VAL_SEED, VAL_SAMPLE, v]) for v in vs]
            for (xy, sid), c in zip(self._make(labels, rngs), labels, strict=True):
                yield xy, sid, c
        yield from self._real_validation()

    def _real_validation(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """All of the real ink in config.paths (never trained on with synthetic data)."""
        if self._real_paths:
            yield from real_samples(self._real_paths, self.classes)


#: What make_source gives: ``classes`` (str), ``train_many(indices)`` and ``validation()``.
InkSource = SyntheticSource | RealSource


def make_source(config: DataConfig) -> InkSource:
    """The source named by config.source ("synthetic", "pot" or "jsonl")."""
    if config.source == "synthetic":
        return SyntheticSource(config)
    if config.source in ("pot", "jsonl"):
        return make_real_source(config)
    raise ValueError(f"source must be 'synthetic', 'pot' or 'jsonl', got {config.source!r}")
