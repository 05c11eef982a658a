"""What a training run reads: the DataSource protocol, and its implementation over a DataConfig."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from engine.preprocess import PreprocessConfig
from trainer.data.batch import Batch
from trainer.data.config import DataConfig
from trainer.data.dataset import TrainStream, validation_batches
from trainer.data.sources import make_source


class DataSource(Protocol):
    """Training and validation batches of a run.

    ``stream(rank, world_size, start_batch)`` must be deterministic: the same arguments give
    the same batches, so a resumed run (start_batch = the checkpoint's data position) sees
    exactly the batches the uninterrupted run would have seen. Training batches carry their
    ``index`` in the stream; validation batches -1.
    """

    charset: str
    batch_size: int
    preprocess: PreprocessConfig

    def stream(self, rank: int, world_size: int, start_batch: int) -> Iterable[Batch]: ...

    def validation(self, batch_size: int) -> list[Batch]: ...


class StreamSource:
    """DataSource over a DataConfig: its ink source (made once) through TrainStream and
    validation_batches."""

    def __init__(self, config: DataConfig, preprocess: PreprocessConfig | None = None) -> None:
        self.config = config
        self.preprocess = preprocess or PreprocessConfig()
        self.source = make_source(config)
        self.charset: str = self.source.classes
        self.batch_size: int = int(config.batch_size)

    def stream(self, rank: int, world_size: int, start_batch: int) -> TrainStream:
        return TrainStream(
            self.config,
            self.preprocess,
            rank=rank,
            world_size=world_size,
            start_batch=start_batch,
            source=self.source,
        )

    def validation(self, batch_size: int) -> list[Batch]:
        return validation_batches(self.config, self.preprocess, batch_size, self.source)
