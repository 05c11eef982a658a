"""Where training samples come from: synthesized from templates, or real ink (POT, JSONL).

A source maps a global sample index to raw ink, deterministically: (xy (N, 2) float64 y down,
sid (N,) int32, class index, the sample's numpy Generator for augmentation). Indices of one
epoch visit every training sample (or, for synthetic data, every class) once in a shuffled
order, so classes stay balanced. Validation samples are held out: synthetic ones come from
writer seeds disjoint from training, real ones from held-out files or lines. With synthetic
training data, any real ink in ``paths`` (POT files/folders, *.jsonl) is validation only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import InkError
from engine.ink import Ink, make_ink, read_jsonl
from engine.preprocess import ink_arrays
from trainer.data.errors import DataError
from trainer.data.pot import PotIndex
from trainer.data.synth import SynthConfig, sample_writer, synthesize
from trainer.data.templates import load_charset, load_templates

if TYPE_CHECKING:
    from trainer.data.dataset import DataConfig

logger = logging.getLogger(__name__)

# Seed-stream tags: SeedSequence([seed, tag, index]) keeps every stream disjoint.
_CLASS_ORDER, _TRAIN_SAMPLE = 0, 1
#: Validation writers do not depend on the run's seed, so every run is scored on the same set.
_VAL_SEED, _VAL_SAMPLE = 0x5EED_0FF, 2
#: For JSONL ink, every JSONL_VAL_EVERY-th sample is held out for validation.
JSONL_VAL_EVERY = 20

Raw = tuple[np.ndarray, np.ndarray, int, np.random.Generator]


def synthesize_ink(
    strokes: list[np.ndarray], rng: np.random.Generator, config: SynthConfig, label: str | None = None
) -> Ink:
    """One synthesized character as a validated engine Ink (a fresh writer from rng)."""
    xy, sid, t = synthesize(strokes, rng, sample_writer(rng, config), config)
    cuts = np.flatnonzero(np.diff(sid)) + 1
    return make_ink(np.split(np.column_stack([xy, t]), cuts), label)


class _EpochOrder:
    """Index i -> item of a per-epoch shuffle of n items (seed, epoch) -> permutation."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = n, seed
        self._cache: dict[int, np.ndarray] = {}

    def __call__(self, i: int) -> int:
        epoch, pos = divmod(i, self.n)
        perm = self._cache.get(epoch)
        if perm is None:
            if len(self._cache) > 2:
                self._cache.clear()
            perm = np.random.default_rng([self.seed, _CLASS_ORDER, epoch]).permutation(self.n)
            self._cache[epoch] = perm
        return int(perm[pos])


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
            raise DataError(f"no stroke template for {len(missing)} classes: {''.join(missing[:20])}")
        self._strokes = [templates.strokes(c) for c in self.classes]
        self._synth = config.synth
        self._seed = config.seed
        self._order = _EpochOrder(len(self.classes), config.seed)
        self.val_per_class = config.val_per_class
        self._real_paths = config.paths

    def _make(self, label: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        style = sample_writer(rng, self._synth)
        xy, sid, _ = synthesize(self._strokes[label], rng, style, self._synth)
        return xy, sid

    def train(self, i: int) -> Raw:
        label = self._order(i)
        rng = np.random.default_rng([self._seed, _TRAIN_SAMPLE, i])
        xy, sid = self._make(label, rng)
        return xy, sid, label, rng

    def validation(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        n = len(self.classes)
        for v in range(n * self.val_per_class):
            label = v % n
            xy, sid = self._make(label, np.random.default_rng([_VAL_SEED, _VAL_SAMPLE, v]))
            yield xy, sid, label
        yield from self._real_validation()

    def _real_validation(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """All of the real ink in config.paths (never trained on with synthetic data)."""
        if not self._real_paths:
            return
        jsonl = tuple(p for p in self._real_paths if p.lower().endswith(".jsonl"))
        pot = tuple(p for p in self._real_paths if not p.lower().endswith(".jsonl"))
        items = [it for part in (_jsonl_items(jsonl) if jsonl else ([], []),
                                 _pot_items(pot, hold_out=False) if pot else ([], []))
                 for half in part for it in half]
        index = {c: k for k, c in enumerate(self.classes)}
        kept = [it for it in items if it.label in index]
        if len(kept) < len(items):
            logger.warning("real validation ink: skipped %d of %d samples whose label is not a "
                           "class", len(items) - len(kept), len(items))
        for it in kept:
            xy, sid = it.load()
            yield xy, sid, index[it.label]


@dataclass(frozen=True)
class _Item:
    """One real sample: its label and either its arrays (JSONL) or its place in a PotIndex."""

    label: str
    arrays: tuple[np.ndarray, np.ndarray] | None = None
    pot: PotIndex | None = None
    k: int = -1

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        if self.arrays is not None:
            return self.arrays
        assert self.pot is not None
        return self.pot.sample(self.k).arrays()


class RealSource:
    """Real ink from POT files or JSONL; class list = labels found, in charset order."""

    def __init__(self, config: DataConfig, train: list[_Item], val: list[_Item]) -> None:
        allowed = load_charset(config.charset)[: config.num_classes]
        found = {it.label for it in train} | {it.label for it in val}
        self.classes = "".join(c for c in allowed if c in found)
        if not self.classes:
            raise DataError(
                f"no sample of {config.paths} has a label among the first {config.num_classes} "
                f"characters of charset {config.charset!r}"
            )
        index = {c: k for k, c in enumerate(self.classes)}
        skipped = sum(it.label not in index for it in train + val)
        if skipped:
            logger.warning(
                "skipped %d of %d samples whose label is not among the first %d of charset %s",
                skipped, len(train) + len(val), config.num_classes, config.charset,
            )
        self._train = [(it, index[it.label]) for it in train if it.label in index]
        self._val = [(it, index[it.label]) for it in val if it.label in index]
        if not self._train:
            raise DataError(f"no training sample left in {config.paths} after the held-out split")
        self._seed = config.seed
        self._order = _EpochOrder(len(self._train), config.seed)

    def train(self, i: int) -> Raw:
        item, label = self._train[self._order(i)]
        xy, sid = item.load()
        return xy, sid, label, np.random.default_rng([self._seed, _TRAIN_SAMPLE, i])

    def validation(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        for item, label in self._val:
            xy, sid = item.load()
            yield xy, sid, label


def _pot_items(paths: tuple[str, ...], hold_out: bool = True) -> tuple[list[_Item], list[_Item]]:
    """POT samples; the last file in ten (at least one when there are two or more) is held out.

    CASIA files hold one writer each, so holding out files holds out writers. Without
    hold_out every sample is returned as training.
    """
    index = PotIndex(paths)
    n_files = len(index.files)
    n_val = max(1, n_files // 10) if n_files > 1 and hold_out else 0
    val_files = set(range(n_files - n_val, n_files))
    train: list[_Item] = []
    val: list[_Item] = []
    for k, (file_i, _, label) in enumerate(index.entries):
        item = _Item(label, pot=index, k=k)
        (val if file_i in val_files else train).append(item)
    if n_val == 0 and hold_out:
        logger.warning("one POT file only: no held-out writer, so no validation samples")
    return train, val


def _jsonl_items(paths: tuple[str, ...]) -> tuple[list[_Item], list[_Item]]:
    """JSONL inks (labels required); every JSONL_VAL_EVERY-th sample is held out."""
    inks: list[Ink] = []
    for p in paths:
        try:
            inks.extend(read_jsonl(p))
        except (OSError, InkError) as e:
            raise DataError(f"cannot read JSONL ink {p}: {e}") from e
    items: list[_Item] = []
    for k, ink in enumerate(inks):
        if ink.label is None or len(ink.label) != 1:
            raise DataError(f"JSONL sample {k} has label {ink.label!r}: need one character")
        items.append(_Item(ink.label, arrays=ink_arrays(ink)))
    val = items[JSONL_VAL_EVERY - 1 :: JSONL_VAL_EVERY]
    train = [it for k, it in enumerate(items) if (k + 1) % JSONL_VAL_EVERY]
    return train, val


def make_source(config: DataConfig) -> SyntheticSource | RealSource:
    """The source named by config.source ("synthetic", "pot" or "jsonl")."""
    if config.source == "synthetic":
        return SyntheticSource(config)
    if config.source in ("pot", "jsonl"):
        if not config.paths:
            raise ValueError(f"source {config.source!r} needs paths (files or folders)")
        items = _pot_items if config.source == "pot" else _jsonl_items
        return RealSource(config, *items(config.paths))
    raise ValueError(f"source must be 'synthetic', 'pot' or 'jsonl', got {config.source!r}")
