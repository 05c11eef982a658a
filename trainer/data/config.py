"""DataConfig: what a model is trained and validated on."""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.data.synth.config import SynthConfig


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
        augment: apply the random point removal of Zhang et al. 2017 at training time.
        val_per_class: synthetic validation samples per class.
        synth: the synthesizer's settings.
        shapes: (shape source, weight) pairs (``templates.SHAPE_SOURCES``): each synthetic
            sample takes its character's shape from one source that has it, drawn by
            weight; a source's shapes of held-out characters (``held_out_shape``) are
            never trained on. One source: no draw for it.
        class_uniform: share of synthetic training samples whose class is drawn uniformly;
            the rest follow the characters' text frequency (``frequency.class_weights``).
            1 (the default): balanced epochs, every class once per epoch.
        class_temper: power of the text frequency in that share (0.5 flattens it: with
            class_uniform 0.5 on level 1, 的 gets 5.4x a uniform share, the rarest 0.57x,
            and the 300 most frequent characters 17.5% of the samples instead of 8%).
        class_even_lookalikes: in that share, characters real writers confuse
            (``frequency.LOOKALIKES``: 己已巳, 日曰, ...) drawn as often as each other.
    """

    source: str = "synthetic"
    paths: tuple[str, ...] = ()
    num_classes: int = 3755
    charset: str = "gb2312_level1"
    seed: int = 0
    batch_size: int = 64
    bucket_batches: int = 32
    augment: bool = True
    val_per_class: int = 2
    synth: SynthConfig = field(default_factory=SynthConfig)
    shapes: tuple[tuple[str, float], ...] = (("medians", 1.0),)
    class_uniform: float = 1.0
    class_temper: float = 0.5
    class_even_lookalikes: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "shapes", tuple((str(n), float(w)) for n, w in self.shapes))
        if not self.shapes or self.shapes[0][0] != "medians" or any(w <= 0 for _, w in self.shapes):
            raise ValueError(
                f"DataConfig.shapes must start with 'medians' and have weights > 0, "
                f"got {self.shapes}"
            )
        for name in ("batch_size", "bucket_batches"):
            if getattr(self, name) < 1:
                raise ValueError(f"DataConfig.{name} must be >= 1, got {getattr(self, name)}")
        if not (0.0 <= self.class_uniform <= 1.0 and 0.0 <= self.class_temper <= 1.0):
            raise ValueError(
                f"DataConfig.class_uniform and class_temper must be in [0, 1], got "
                f"{self.class_uniform}, {self.class_temper}"
            )
        if self.val_per_class < 0:
            raise ValueError(f"DataConfig.val_per_class must be >= 0, got {self.val_per_class}")
