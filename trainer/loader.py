"""make_loader: the batches of a training stream, made in worker processes or in this one."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset


def make_loader(dataset: Any, workers: int) -> Any:
    """Iterate a stream of ready batches, in a worker process when ``workers`` > 0.

    The stream batches itself (batch_size=None) and hands batches out in index order with
    any number of workers (TrainStream); use 2 when synthesis cannot keep up with training.
    Workers are not persistent: the loader is iterated once per train() call. The loader
    draws its seed from its own generator so it never consumes the global torch random
    state (a resumed run must see the same dropout).
    """
    if workers <= 0 or not isinstance(dataset, IterableDataset):
        return dataset
    return DataLoader(
        dataset,
        batch_size=None,
        num_workers=workers,
        prefetch_factor=4,
        persistent_workers=False,
        generator=torch.Generator().manual_seed(0),
    )
