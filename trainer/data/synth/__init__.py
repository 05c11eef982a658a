"""The handwriting synthesizer: stroke templates written as many writers would
(docs/synthesizer.md)."""

from trainer.data.synth.config import SynthConfig
from trainer.data.synth.synthesize import synthesize, synthesize_batch, synthesize_ink, to_ink
from trainer.data.synth.writer import WriterStyle, sample_writer

__all__ = [
    "SynthConfig",
    "WriterStyle",
    "sample_writer",
    "synthesize",
    "synthesize_batch",
    "synthesize_ink",
    "to_ink",
]
