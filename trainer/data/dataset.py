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
import torch
from torch.utils.data import IterableDataset, get_worker_info

from engine.preprocess import PreprocessConfig, features, preprocess_arrays
from trainer.data.seeds import BATCH_ORDER
from trainer.data.sources import RealSource, SyntheticSource, make_source
from trainer.data.synth import SynthConfig

logger = logging.getLogger(__name__)

#: DataLoader num_workers should divide this; see the module docstring.
WORKER_STRIDE = 4

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]


@dataclass(frozen=True)
class DataConfig:
    """What the model is trained and validated on.

    Attributes:
        source: "synthetic" (from stroke templates), "pot" (CASIA files) or "jsonl" (engine ink).
        paths: POT files/folders or JSONL files for those sources; with "synthetic", real
            ink (POT or *.jsonl) added to the validation set only.
        num_classes: the first N characters of the charset are the classes (real sources keep
            those of them that occur in the data).
        charset: resource name under resources/charsets/.
        seed: seed of the training stream (validation does not depend on it).
        batch_size: samples per batch.
        bucket_batches: batches made at once, sorted by length, cut and shuffled together.
        max_len: feature sequences longer than this are uniformly subsampled to it.
        augment: apply the random point removal of Zhang et al. 2017 at training time.
        val_per_class: synthetic validation samples per class.
        synth: the synthesizer's settings.
        shapes: (shape source, weight) pairs (``templates.SHAPE_SOURCES``): each synthetic
            sample takes its character's shape from one source that has it, drawn by
            weight; a source's shapes of held-out characters (``held_out_shape``) are
            never trained on. One source: no draw for it.
    """

    source: str = "synthetic"
    paths: tuple[str, ...] = ()
    num_classes: int = 3755
    charset: str = "gb2312_level1"
    seed: int = 0
    batch_size: int = 64
    bucket_batches: int = 32
    max_len: int = 200
    augment: bool = True
    val_per_class: int = 2
    synth: SynthConfig = field(default_factory=SynthConfig)
    shapes: tuple[tuple[str, float], ...] = (("medians", 1.0),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shapes", tuple((str(n), float(w)) for n, w in self.shapes))
        if not self.shapes or self.shapes[0][0] != "medians" or any(w <= 0 for _, w in self.shapes):
            raise ValueError(f"DataConfig.shapes must start with 'medians' and have weights > 0, "
                             f"got {self.shapes}")
        for name in ("batch_size", "bucket_batches", "max_len"):
            if getattr(self, name) < 1:
                raise ValueError(f"DataConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.val_per_class < 0:
            raise ValueError(f"DataConfig.val_per_class must be >= 0, got {self.val_per_class}")


def class_list(config: DataConfig) -> str:
    """The classes in order: class i is character i of the returned string."""
    return make_source(config).classes


def cap_length(feats: np.ndarray, max_len: int) -> np.ndarray:
    """Uniformly subsample the points of (T, 6) features to at most max_len and re-featurize.

    Points come back from the features (x, y and the pen-up flag), so the moves and pen
    flags of the result describe the kept points exactly.
    """
    t = len(feats)
    if t <= max_len:
        return feats
    idx = np.round(np.linspace(0, t - 1, max_len)).astype(np.intp)
    xy = feats[:, :2].astype(np.float64)
    sid = np.concatenate([[0], np.cumsum(feats[:-1, 5])]).astype(np.int32)
    return features(xy[idx], sid[idx])


def pad(feats: list[np.ndarray], labels: list[int]) -> tuple[torch.Tensor, ...]:
    """Zero-pad (T_i, 6) features: x (B, T_max, 6) float32, lengths (B,), labels (B,) int64."""
    lengths = np.array([len(f) for f in feats], dtype=np.int64)
    x = np.zeros((len(feats), int(lengths.max()), 6), dtype=np.float32)
    for i, f in enumerate(feats):
        x[i, : len(f)] = f
    return torch.from_numpy(x), torch.from_numpy(lengths), torch.tensor(labels, dtype=torch.int64)


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
    ) -> None:
        super().__init__()
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got rank {rank} of {world_size}")
        if start_batch < 0:
            raise ValueError(f"start_batch must be >= 0, got {start_batch}")
        self.config, self.preprocess = config, preprocess
        self.rank, self.world_size, self.start_batch = rank, world_size, start_batch
        self.source: SyntheticSource | RealSource = make_source(config)
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
                group.feats.append(cap_length(f, cfg.max_len))
                group.labels.append(label)
        if len(group.labels) == len(todo) and not group.batches:
            order = np.argsort([len(f) for f in group.feats], kind="stable")
            chunks = [order[m * cfg.batch_size : (m + 1) * cfg.batch_size]
                      for m in range(cfg.bucket_batches)]
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
        x, lengths, y = pad([group.feats[i] for i in idx], [group.labels[i] for i in idx])
        ahead = self._groups.get((j, k + 1))
        left = cfg.batch_size * cfg.bucket_batches - (len(ahead.labels) if ahead else 0)
        self._fill(j, k + 1, -(-left // (cfg.bucket_batches - m)))
        return x, lengths, y, b

    def __iter__(self) -> Iterator[Batch]:
        info = get_worker_info()
        n, w = (1, 0) if info is None else (info.num_workers, info.id)
        if WORKER_STRIDE % n and w == 0:
            logger.warning(
                "DataLoader num_workers=%d does not divide %d: the workers repeat each other's "
                "work (same batches, more CPU); use 1, 2 or 4", n, WORKER_STRIDE
            )
        b = self.start_batch + w  # the DataLoader takes one batch from each worker in turn
        while True:
            yield self.batch(b)
            b += n


def validation_set(config: DataConfig, preprocess: PreprocessConfig) -> list[tuple[np.ndarray, int]]:
    """The fixed validation samples: (features (T, 6) float32, label), no augmentation.

    Synthetic: ``val_per_class`` samples per class by writers whose seeds are disjoint from
    every training writer's, then all real ink in ``paths``. POT: the held-out files
    (writers); JSONL: every 20th sample.
    """
    source = make_source(config)
    return [
        (cap_length(preprocess_arrays(xy, sid, preprocess), config.max_len), label)
        for xy, sid, label in source.validation()
    ]


def validation_batches(
    config: DataConfig, preprocess: PreprocessConfig, batch_size: int
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """The validation set sorted by length and cut into padded (x, lengths, labels) batches."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    samples = sorted(validation_set(config, preprocess), key=lambda s: len(s[0]))
    out = []
    for a in range(0, len(samples), batch_size):
        chunk = samples[a : a + batch_size]
        x, lengths, y = pad([f for f, _ in chunk], [label for _, label in chunk])
        out.append((x, lengths, y))
    return out
