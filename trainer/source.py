"""Where train() gets its batches: the protocol, and its implementation over trainer.data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import torch

from engine.preprocess import PreprocessConfig

#: One validation batch: x (B, T, 6) float32, lengths (B,) int64, labels (B,) int64.
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
#: One training batch: the same plus the batch's index in the stream (int).
TrainBatch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]


class DataSource(Protocol):
    """Training and validation data of a run.

    ``stream(rank, world_size, start_batch)`` must be deterministic: the same arguments give
    the same batches, so a resumed run (start_batch = the checkpoint's data position) sees
    exactly the batches the uninterrupted run would have seen.
    """

    charset: str
    batch_size: int
    preprocess: PreprocessConfig

    def stream(self, rank: int, world_size: int, start_batch: int) -> Iterable[TrainBatch]: ...

    def validation(self, batch_size: int) -> list[Batch]: ...


class StreamSource:
    """DataSource over trainer.data.dataset (TrainStream, validation_batches, class_list)."""

    def __init__(self, config: Any, preprocess: PreprocessConfig | None = None) -> None:
        from trainer.data.dataset import class_list

        self.config = config
        self.preprocess = preprocess or PreprocessConfig()
        self.charset: str = class_list(config)
        self.batch_size: int = int(config.batch_size)

    def stream(self, rank: int, world_size: int, start_batch: int) -> Iterable[TrainBatch]:
        from trainer.data.dataset import TrainStream

        return TrainStream(  # type: ignore[no-any-return]
            self.config, self.preprocess, rank=rank, world_size=world_size, start_batch=start_batch
        )

    def validation(self, batch_size: int) -> list[Batch]:
        from trainer.data.dataset import validation_batches

        return validation_batches(  # type: ignore[no-any-return]
            self.config, self.preprocess, batch_size
        )
