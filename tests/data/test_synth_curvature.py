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


def _shape(config: SynthConfig) -> dict[str, float]:
    """Turning per unit of ink, turning in the first and last eighth of the near-straight
    strokes (radians a stroke), ink per character and median straightness (size 1, the
    realism card's 0.02 steps)."""
    turn = ink = ends = straight_ends = 0.0
    straight = []
    out = _population(config, n=200)
    for xy, sid, _ in out:
        lo = xy.min(axis=0)
        p_all = (xy - lo) / np.ptp(xy, axis=0).max()
        for p in np.split(p_all, np.flatnonzero(np.diff(sid)) + 1):
            seg = np.hypot(*np.diff(p, axis=0).T)
            length = seg.sum()
            if length < 0.04:
                continue
            cum = np.concatenate([[0.0], np.cumsum(seg)])
            s = np.arange(0.0, length, 0.02)
            z = np.interp(s, cum, p[:, 0]) + 1j * np.interp(s, cum, p[:, 1])
            a = np.abs(np.angle(z[2:] - z[1:-1]) - np.angle(z[1:-1] - z[:-2]))
            a = np.minimum(a, 2 * np.pi - a)
            chord = abs(z[-1] - z[0]) / length
            turn += a.sum()
            ink += length
            straight.append(chord)
            if chord > 0.9 and length > 0.3:
                k = max(1, len(a) // 8)
                ends += a[:k].sum() + a[-k:].sum()
                straight_ends += 1
    return {
        "turn_per_ink": turn / ink,
        "end_turn": ends / straight_ends,
        "ink": ink / len(out),
        "straightness": float(np.median(straight)),
    }


def test_curl_turns_stroke_ends_at_the_same_ink() -> None:
    config = replace(full().data.synth, digitizer_prob=0.0, fold_fix=True)
    off, on = _shape(config), _shape(replace(config, curl=0.5))
    assert on["end_turn"] > off["end_turn"] + 0.04  # measured 0.23 -> 0.30 rad a stroke
    assert on["turn_per_ink"] > off["turn_per_ink"] * 1.03  # measured 6.16 -> 6.43
    assert abs(on["ink"] / off["ink"] - 1) < 0.01
    assert abs(on["straightness"] - off["straightness"]) < 0.02


def test_wobble_turns_the_ink_without_lengthening_it() -> None:
    config = replace(full().data.synth, digitizer_prob=0.0, fold_fix=True)
    off, on = _shape(config), _shape(replace(config, wobble=0.006, wobble_len=0.2))
    assert on["turn_per_ink"] > off["turn_per_ink"] * 1.01  # measured 6.16 -> 6.28
    assert abs(on["ink"] / off["ink"] - 1) < 0.01
    assert abs(on["straightness"] - off["straightness"]) < 0.01


def test_switched_on_effects_leave_the_other_draws_alone() -> None:
    # curl and wobble draw nothing: the same joins, the same pen-down strokes (the pen
    # motion's tails, sampled along the moved ink, may add a point more or less)
    config = replace(full().data.synth, digitizer_prob=0.0, fold_fix=True)
    base = _population(config)
    moved = _population(replace(config, curl=0.5, wobble=0.006))
    for (xy0, sid0, _), (xy1, sid1, _) in zip(base, moved, strict=True):
        assert sid0[-1] == sid1[-1]
        assert abs(len(xy1) - len(xy0)) <= 0.1 * len(xy0) + 2
