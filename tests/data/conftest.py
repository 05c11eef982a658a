"""Fixtures of the data tests; a stand-in synthesizer until trainer/data/synth.py lands."""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass

import numpy as np


def _install_stand_in_synth() -> None:
    """Register a trivial trainer.data.synth (tests only) when the real one is missing."""
    if importlib.util.find_spec("trainer.data.synth") is not None:
        return

    @dataclass(frozen=True)
    class SynthConfig:
        noise: float = 0.01

    @dataclass(frozen=True)
    class WriterStyle:
        slant: float = 0.0

    def sample_writer(rng: np.random.Generator, config: SynthConfig) -> WriterStyle:
        return WriterStyle(slant=float(rng.normal(0, 0.1)))

    def synthesize(strokes, rng, style, config):  # type: ignore[no-untyped-def]
        xy = np.concatenate(strokes).astype(np.float64)
        xy = xy + rng.normal(0, config.noise, xy.shape)
        xy[:, 0] += style.slant * (xy[:, 1] - 0.5)
        sid = np.repeat(np.arange(len(strokes), dtype=np.int32), [len(s) for s in strokes])
        t = np.arange(len(xy), dtype=np.float64) * 10.0 + sid * 100.0
        return xy, sid, t

    mod = types.ModuleType("trainer.data.synth")
    mod.SynthConfig = SynthConfig  # type: ignore[attr-defined]
    mod.WriterStyle = WriterStyle  # type: ignore[attr-defined]
    mod.sample_writer = sample_writer  # type: ignore[attr-defined]
    mod.synthesize = synthesize  # type: ignore[attr-defined]
    sys.modules["trainer.data.synth"] = mod


_install_stand_in_synth()
