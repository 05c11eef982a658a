"""Real ink as training data: CASIA POT files and JSONL, with held-out writers or lines.

A store holds many samples: ``codes`` (n,) uint32, the code point of each label, and
``arrays(k)`` -> (xy (N, 2) float64, sid (N,) int32). Arrays rather than one object per
sample keep millions of CASIA samples cheap, also in forked DataLoader workers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from engine.errors import InkError
from engine.ink import read_jsonl
from engine.preprocess import ink_arrays
from trainer.data.config import DataConfig
from trainer.data.errors import DataError
from trainer.data.pot import PotIndex
from trainer.data.seeds import TRAIN_SAMPLE, EpochOrder
from trainer.data.templates import load_charset

logger = logging.getLogger(__name__)

#: For JSONL ink, every JSONL_VAL_EVERY-th sample is held out for validation.
JSONL_VAL_EVERY = 20

Split = tuple[np.ndarray, np.ndarray]


class InkStore(Protocol):
    codes: np.ndarray

    def arrays(self, k: int) -> tuple[np.ndarray, np.ndarray]: ...


class JsonlStore:
    """The inks of JSONL files (each needs a one-character label), held in memory."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        self._arrays: list[tuple[np.ndarray, np.ndarray]] = []
        codes: list[int] = []
        for p in paths:
            try:
                inks = read_jsonl(p)
            except OSError as e:
                raise DataError(f"cannot read JSONL ink {p}: {e.strerror or e}") from e
            except InkError as e:  # its message starts with the file's name
                raise DataError(f"bad JSONL ink: {e}") from e
            for n, ink in enumerate(inks, start=1):
                if ink.label is None or len(ink.label) != 1:
                    raise DataError(f"{p}: ink {n} has label {ink.label!r}: need one character")
                codes.append(ord(ink.label))
                self._arrays.append(ink_arrays(ink))
        self.codes = np.asarray(codes, dtype=np.uint32)

    def arrays(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._arrays[k]


def pot_split(index: PotIndex, hold_out: bool = True) -> Split:
    """(train, validation) sample indices: the last file in ten is held out (at least one of
    two or more files). CASIA files hold one writer each, so this holds out writers."""
    n_files = len(index.files)
    n_val = max(1, n_files // 10) if n_files > 1 and hold_out else 0
    if n_val == 0 and hold_out:
        logger.warning("one POT file only: no held-out writer, so no validation samples")
    is_val = index.file_of >= n_files - n_val
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def jsonl_split(n: int) -> Split:
    """(train, validation) indices: every JSONL_VAL_EVERY-th sample is held out."""
    is_val = (np.arange(n) + 1) % JSONL_VAL_EVERY == 0
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def class_of(codes: np.ndarray, classes: str) -> np.ndarray:
    """(n,) int32 class index of each label code point; -1 for a label that is no class."""
    lut = {ord(c): k for k, c in enumerate(classes)}
    uniq, inverse = np.unique(codes, return_inverse=True)
    return np.asarray([lut.get(int(u), -1) for u in uniq], dtype=np.int32)[inverse]


def real_samples(
    paths: tuple[str, ...], classes: str
) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """Every sample of the POT files/folders and *.jsonl files in paths whose label is a class.

    Samples of other labels are skipped and counted in a warning.
    """
    jsonl = tuple(p for p in paths if p.lower().endswith(".jsonl"))
    pot = tuple(p for p in paths if not p.lower().endswith(".jsonl"))
    stores: list[InkStore] = ([JsonlStore(jsonl)] if jsonl else []) + (
        [PotIndex(pot)] if pot else []
    )
    for store in stores:
        cls = class_of(store.codes, classes)
        if (cls < 0).any():
            logger.warning(
                "real validation ink: skipped %d of %d samples whose label is no class",
                int((cls < 0).sum()),
                len(cls),
            )
        for k in np.flatnonzero(cls >= 0):
            xy, sid = store.arrays(int(k))
            yield xy, sid, int(cls[k])


class RealSource:
    """Training from real ink; the classes are the labels found, in charset order."""

    def __init__(self, config: DataConfig, store: InkStore, split: Split) -> None:
        allowed = load_charset(config.charset)[: config.num_classes]
        present = set(np.unique(store.codes).tolist())
        self.classes = "".join(c for c in allowed if ord(c) in present)
        if not self.classes:
            raise DataError(
                f"no sample of {config.paths} has a label among the first {config.num_classes} "
                f"characters of charset {config.charset!r}"
            )
        self._store = store
        self._class = class_of(store.codes, self.classes)
        skipped = int((self._class < 0).sum())
        if skipped:
            logger.warning(
                "skipped %d of %d samples whose label is not among the first %d of charset %s",
                skipped,
                len(self._class),
                config.num_classes,
                config.charset,
            )
        train, val = split
        self._train = train[self._class[train] >= 0]
        self._val = val[self._class[val] >= 0]
        if len(self._train) == 0:
            raise DataError(f"no training sample left in {config.paths} after the held-out split")
        self._seed = config.seed
        self._order = EpochOrder(len(self._train), config.seed)

    def train(self, i: int) -> tuple[np.ndarray, np.ndarray, int, np.random.Generator]:
        k = int(self._train[self._order(i)])
        xy, sid = self._store.arrays(k)
        return xy, sid, int(self._class[k]), np.random.default_rng([self._seed, TRAIN_SAMPLE, i])

    def train_many(
        self, indices: range
    ) -> list[tuple[np.ndarray, np.ndarray, int, np.random.Generator]]:
        """``[self.train(i) for i in indices]``."""
        return [self.train(i) for i in indices]

    def validation(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        for k in self._val.tolist():
            xy, sid = self._store.arrays(k)
            yield xy, sid, int(self._class[k])


def make_real_source(config: DataConfig) -> RealSource:
    """RealSource over config.paths for config.source "pot" or "jsonl"."""
    if not config.paths:
        raise ValueError(f"source {config.source!r} needs paths (files or folders)")
    if config.source == "pot":
        index = PotIndex(config.paths)
        return RealSource(config, index, pot_split(index))
    store = JsonlStore(config.paths)
    return RealSource(config, store, jsonl_split(len(store.codes)))
