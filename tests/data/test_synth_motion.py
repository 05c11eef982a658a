"""Pen motion (tails, lead-ins) and drawn digitizers of the synthesizer
(trainer.data.synth.motion)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainer.data.synth import SynthConfig, sample_writer, synthesize
from trainer.data.synth.motion import digitize, pen_motion
from trainer.data.templates import load_templates

MOTION = replace(SynthConfig(), tail_prob=1.0, lead_prob=1.0)


def _strokes(xy: np.ndarray, sid: np.ndarray) -> list[np.ndarray]:
    return np.split(xy, np.flatnonzero(np.diff(sid)) + 1)


def test_a_tail_turns_the_stroke_end_towards_the_next_start() -> None:
    # 一 written left to right, then a stroke starting back at the left, below
    xy = np.array([[0.1, 0.3], [0.5, 0.3], [0.9, 0.3], [0.1, 0.7], [0.9, 0.7]])
    sid = np.array([0, 0, 0, 1, 1], dtype=np.int32)
    t = np.array([0.0, 50, 100, 300, 400])
    out, s, tt = pen_motion(
        xy, sid, t, np.random.default_rng(0), 1.0, replace(MOTION, lead_prob=0.0)
    )
    first, second = _strokes(out, s)
    assert len(first) > 3 and np.allclose(first[:3], xy[:3])  # the stroke runs on
    end = first[-1] - first[-2]
    gap = second[0] - first[-1]
    assert end @ gap / (np.linalg.norm(end) * np.linalg.norm(gap)) > 0.7
    assert np.linalg.norm(gap) < np.linalg.norm(xy[3] - xy[2])  # a shorter jump
    assert np.all(np.diff(tt) >= 0) and tt[-1] == t[-1]


def test_a_lead_in_continues_the_jump() -> None:
    xy = np.array([[0.1, 0.2], [0.9, 0.2], [0.5, 0.5], [0.5, 0.9]])
    sid = np.array([0, 0, 1, 1], dtype=np.int32)
    t = np.array([0.0, 100, 300, 400])
    out, s, tt = pen_motion(
        xy, sid, t, np.random.default_rng(1), 0.5, replace(MOTION, tail_prob=0.0)
    )
    first, second = _strokes(out, s)
    assert np.allclose(first, xy[:2]) and len(second) > 2
    lead = second[1] - second[0]
    jump = second[0] - first[-1]
    assert lead @ jump / (np.linalg.norm(lead) * np.linalg.norm(jump)) > 0.7
    assert np.allclose(second[-2:], xy[2:]) and np.all(np.diff(tt) >= 0)


@pytest.mark.parametrize("seed", range(3))
def test_synthesized_characters_with_motion_and_digitizers_are_valid_ink(seed: int) -> None:
    config = replace(MOTION, digitizer_prob=1.0, dense_prob=1.0)
    strokes = load_templates().strokes("赢")
    rng = np.random.default_rng(seed)
    xy, sid, t = synthesize(strokes, rng, sample_writer(rng, config), config)
    assert len(xy) <= 4096 and np.all(np.diff(t) >= 0) and np.all(np.diff(sid) >= 0)
    again = np.random.default_rng(seed)
    xy2, _, _ = synthesize(strokes, again, sample_writer(again, config), config)
    assert np.array_equal(xy, xy2)  # deterministic for a seed


def test_a_drawn_digitizer_records_whole_pixels_densely() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    sid = np.zeros(3, dtype=np.int32)
    t = np.array([0.0, 100.0, 200.0])
    config = replace(SynthConfig(), digitizer_prob=1.0, dense_prob=1.0, integer_prob=1.0)
    p, _, tt = digitize(xy, sid, t, np.random.default_rng(0), config)
    assert len(p) > 30 and np.array_equal(p, np.rint(p)) and np.all(np.diff(tt) >= 0)
    off = replace(config, digitizer_prob=0.0)
    assert digitize(xy, sid, t, np.random.default_rng(0), off)[0] is xy
