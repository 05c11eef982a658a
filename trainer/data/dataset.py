"""The training stream and validation set: featurized, length-bucketed, sharded batches.

Batch b of rank r is a pure function of (config, b, r, world_size), so a run resumes by
building the stream with ``start_batch`` and every rank of a ``torchrun`` job reads disjoint
samples. Samples are featurized with the engine's own ``engine.preprocess.preprocess_arrays``
(the seed's 30% random point removal at training time, none for validation) and bucketed by
length: ``bucket_batches`` batches are made at once, sorted by length, cut into batches and
shuffled, so a batch pads only among sequences of similar length (packed sequences were
6-10x slower on a CPU; issue 3).

Batch layout: batch b belongs to residue class j = b % WORKER_STRIDE; within a residue class,
consecutive runs of ``bucket_batches`` batches share one bucket group. A DataLoader worker w
of n makes the batches b = start + w (mod n) and the DataLoader's round robin hands them out
in order b, b+1, ...; when n divides WORKER_STRIDE each group is made by one worker only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from torch.utils.data import IterableDataset, get_worker_info

from engine.preprocess import PreprocessConfig, preprocess_arrays
from trainer.data.batch import Batch, make_batch
from trainer.data.config import DataConfig
from trainer.data.seeds import BATCH_ORDER
from trainer.data.sources import InkSource, make_source

logger = logging.getLogger(__name__)

#: DataLoader num_workers should divide this; see the module docstring.
WORKER_STRIDE = 4


@dataclass
class _Group:
    """A bucket group being made: features and labels so far, its batches once complete."""

    feats: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    batches: list[np.ndarray] = field(default_factory=list)


class TrainStream(IterableDataset):  # type: ignore[type-arg]
    """Endless training batches (x, lengths, labels, batch_index) for one rank.

    Use directly or in a DataLoader with ``batch_size=None`` and num_workers dividing
    WORKER_STRIDE (0, 1, 2 or 4; other counts work but repeat work); either way batches
    arrive in order from ``start_batch``.
    """

    def __init__(
        self,
        config: DataConfig,
        preprocess: PreprocessConfig,
        rank: int = 0,
        world_size: int = 1,
        start_batch: int = 0,
        *,
        source: InkSource | None = None,
    ) -> None:
        super().__init__()
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got rank {rank} of {world_size}")
        if start_batch < 0:
            raise ValueError(f"start_batch must be >= 0, got {start_batch}")
        self.config, self.preprocess = config, preprocess
        self.rank, self.world_size, self.start_batch = rank, world_size, start_batch
        self.source = source if source is not None else make_source(config)
        self.classes = self.source.classes
        self._groups: dict[tuple[int, int], _Group] = {}

    def _group_id(self, j: int, k: int) -> int:
        return (k * WORKER_STRIDE + j) * self.world_size + self.rank

    def sample_indices(self, b: int) -> range:
        """Global indices of the samples of the bucket group that holds batch b."""
        j, q = b % WORKER_STRIDE, b // WORKER_STRIDE
        n = self.config.batch_size * self.config.bucket_batches
        gid = self._group_id(j, q // self.config.bucket_batches)
        return range(gid * n, (gid + 1) * n)

    def _fill(self, j: int, k: int, count: int) -> _Group:
        """Make at least ``count`` more samples (or all that are left) of bucket group (j, k)
        and sort it once complete.

        Samples are made in runs of batch_size aligned to the group's start, whatever the
        order batches are read in: a batched synthesizer may round differently with other
        neighbours, and a resumed run must see the very same samples.
        """
        cfg = self.config
        group = self._groups.get((j, k))
        if group is None:
            self._groups = {key: g for key, g in self._groups.items() if key[1] >= k - 1}
            group = self._groups[(j, k)] = _Group()
        todo = self.sample_indices(k * cfg.bucket_batches * WORKER_STRIDE + j)
        stop = min(len(group.labels) + count, len(todo))
        while len(group.labels) < stop:
            run = todo[len(group.labels) : len(group.labels) + cfg.batch_size]
            for xy, sid, label, rng in self.source.train_many(run):
                f = preprocess_arrays(xy, sid, self.preprocess, rng if cfg.augment else None)
                group.feats.append(f)
                group.labels.append(label)
        if len(group.labels) == len(todo) and not group.batches:
            order = np.argsort([len(f) for f in group.feats], kind="stable")
            chunks = [
                order[m * cfg.batch_size : (m + 1) * cfg.batch_size]
                for m in range(cfg.bucket_batches)
            ]
            rng = np.random.default_rng([cfg.seed, BATCH_ORDER, self._group_id(j, k)])
            group.batches = [chunks[p] for p in rng.permutation(cfg.bucket_batches)]
        return group

    def batch(self, b: int) -> Batch:
        """Batch number b of this rank.

        Makes its bucket group when needed, and a share of the next group of the same
        residue class, so that reading batches in order costs about batch_size samples of
        work each instead of a whole group at once every bucket_batches batches.
        """
        cfg = self.config
        j, q = b % WORKER_STRIDE, b // WORKER_STRIDE
        k, m = divmod(q, cfg.bucket_batches)
        group = self._fill(j, k, cfg.batch_size * cfg.bucket_batches)
        idx = group.batches[m]
        batch = make_batch([group.feats[i] for i in idx], [group.labels[i] for i in idx], b)
        ahead = self._groups.get((j, k + 1))
        left = cfg.batch_size * cfg.bucket_batches - (len(ahead.labels) if ahead else 0)
        self._fill(j, k + 1, -(-left // (cfg.bucket_batches - m)))
        return batch

    def __iter__(self) -> Iterator[Batch]:
        info = get_worker_info()
        n, w = (1, 0) if info is None else (info.num_workers, info.id)
        if WORKER_STRIDE % n and w == 0:
            logger.warning(
                "DataLoader num_workers=%d does not divide %d: the workers repeat each other's "
                "work (same batches, more CPU); use 1, 2 or 4",
                n,
                WORKER_STRIDE,
            )
        b = self.start_batch + w  # the DataLoader takes one batch from each worker in turn
        while True:
            yield self.batch(b)
            b += n


def validation_set(
    config: DataConfig, preprocess: PreprocessConfig, source: InkSource | None = None
) -> list[tuple[np.ndarray, int]]:
    """The fixed validation samples: (features (T, 6) float32, label), no augmentation.

    Synthetic: ``val_per_class`` samples per class by writers whose seeds are disjoint from
    every training writer's, then all real ink in ``paths``. POT: the held-out files
    (writers); JSONL: every 20th sample.
    """
    source = source if source is not None else make_source(config)
    return [
        (preprocess_arrays(xy, sid, preprocess), label) for xy, sid, label in source.validation()
    ]


def validation_batches(
    config: DataConfig,
    preprocess: PreprocessConfig,
    batch_size: int,
    source: InkSource | None = None,
) -> list[Batch]:
    """The validation set sorted by length and cut into padded (x, lengths, labels) batches."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    samples = sorted(validation_set(config, preprocess, source), key=lambda s: len(s[0]))
    chunks = [samples[a : a + batch_size] for a in range(0, len(samples), batch_size)]
    return [make_batch([f for f, _ in c], [label for _, label in c]) for c in chunks]
