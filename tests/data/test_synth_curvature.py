"""Issue 25's realism switches of the synthesizer: off by default, and what each one does."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from trainer.build.presets import full
from trainer.data.synth import SynthConfig, sample_writer, synthesize_batch
from trainer.data.templates import load_charset, load_templates

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


def _population(config: SynthConfig, n: int = 64, seed: int = 7) -> list:
    templates, chars = load_templates(), load_charset()
    rng = np.random.default_rng(seed)
    picks = [templates.strokes(chars[i]) for i in rng.integers(len(chars), size=n)]
    writers = [sample_writer(rng, config) for _ in range(n)]
    rngs = [np.random.default_rng([seed, i]) for i in range(n)]
    return synthesize_batch(picks, rngs, writers, config)


def _digest(config: SynthConfig) -> str:
    h = hashlib.sha256()
    for xy, sid, t in _population(config):
        h.update(np.round(xy, 9).tobytes())
        h.update(sid.astype(np.int32).tobytes())
        h.update(t.tobytes())
    return h.hexdigest()[:16]


def test_defaults_write_what_they_wrote_before_the_switches() -> None:
    # digests of commit b3de116 (before fold_fix and the curvature fields), same draws
    assert _digest(SynthConfig()) == "c7e3702fa7de5e4f"
    assert _digest(replace(full().data.synth, digitizer_prob=0.0)) == "2509e234fd3cbb4b"


def test_fold_fix_cuts_shortened_ends_instead_of_folding_them() -> None:
    from synth_folds import count_folds

    config = replace(full().data.synth, digitizer_prob=0.0)
    before, ends = count_folds(300, 0, config)
    after, ends_after = count_folds(300, 0, replace(config, fold_fix=True))
    assert ends == ends_after > 5000
    assert before / ends > 0.35  # measured 42% (bench/synth_folds.py)
    assert after / ends < 0.002  # measured 0.1%: strokes cut to nothing at both ends
