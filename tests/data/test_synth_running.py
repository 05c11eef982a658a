"""Running hand (issue 25 item 2): whole components and characters in one pen-down, 口 as a
loop, at the rates the population is calibrated to; deterministic; no other draw changed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from trainer.build.presets import RUNNING, robust_writers
from trainer.data.synth import SynthConfig, WriterStyle, sample_writer, synthesize, synthesize_batch
from trainer.data.synth.running import boxes
from trainer.data.templates import load_charset, load_templates

F = np.float32
#: 口: 丨, 𠃍, the bottom 一 right after it
KOU = [
    np.array([[0.2, 0.2], [0.2, 0.8]], F),
    np.array([[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]], F),
    np.array([[0.2, 0.8], [0.8, 0.8]], F),
]
CAREFUL = WriterStyle(cursiveness=1e-4, simplify=0.0, neatness=1.0)
NO_SLIPS = replace(SynthConfig(), swap_prob=0.0, reverse_prob=0.0, split_prob=0.0)


def _pen_downs(strokes, style, config, n, seed=0):
    return np.array(
        [
            int(synthesize(strokes, np.random.default_rng(seed + i), style, config)[1].max()) + 1
            for i in range(n)
        ]
    )


def test_boxes_closed_right_after_their_turn() -> None:
    t = load_templates()
    assert boxes(KOU) == (2,)
    assert boxes(t.strokes("口")) == (2,)
    assert boxes(t.strokes("吗"))[:1] == (2,)  # the 口 on the left
    assert boxes(t.strokes("日")) == ()  # its bottom closes after the middle 一
    assert boxes(t.strokes("十")) == ()


def test_whole_characters_at_the_writers_rate() -> None:
    """A writer who never joins on his own writes 河 in one pen-down only when running
    whole: at running * run_whole of the characters."""
    strokes = load_templates().strokes("河")
    style = replace(CAREFUL, running=0.5)
    config = replace(NO_SLIPS, run_whole=0.4)
    k = _pen_downs(strokes, style, config, 600)
    assert 0.16 < np.mean(k == 1) < 0.24
    assert np.mean(_pen_downs(strokes, CAREFUL, config, 200) == 1) == 0.0


def test_components_joined_within() -> None:
    """河 run by components (never whole): 氵 in one pen-down and 可 in one or a few."""
    strokes = load_templates().strokes("河")
    style = replace(CAREFUL, running=1.0)
    config = replace(NO_SLIPS, run_whole=0.0, run_cursive=0.999)
    k = _pen_downs(strokes, style, config, 200)
    assert np.all(k >= 2) and np.mean(k <= 3) > 0.8
    assert np.mean(_pen_downs(strokes, CAREFUL, config, 100)) >= 7.5


def test_kou_closed_in_one_loop() -> None:
    """口 written whole with the loop: one pen-down, the bottom run from right to left back
    to the foot of the 丨 (no pen-up jump across the box)."""
    style = replace(CAREFUL, running=1.0)
    config = replace(NO_SLIPS, run_whole=1.0, run_loop=1.0)
    for seed in range(20):
        xy, sid, _ = synthesize(KOU, np.random.default_rng(seed), style, config)
        assert sid.max() == 0
        assert np.hypot(*(xy[-1] - KOU[0][-1])) < 0.2  # back at the 丨's foot
        tail = xy[-5:, 0]
        assert tail[-1] < tail[0]


def test_population_matches_the_real_one_pen_down_share() -> None:
    """The full preset's writers write about 7% of characters in one pen-down (real writers
    6%; 3.2% before the running hand) and keep the pen-down quartiles of the card."""
    t = load_templates()
    config = replace(robust_writers(), digitizer_prob=0.0)
    chars = load_charset()[::5]
    pd = []
    for i, c in enumerate(chars):
        rng = np.random.default_rng(10_000 + i)
        style = sample_writer(rng, config)
        pd.append(int(synthesize(t.strokes(c), rng, style, config)[1].max()) + 1)
    pd = np.array(pd)
    assert 0.05 < np.mean(pd == 1) < 0.10
    assert np.median(pd) == 5


def test_off_changes_no_draw_and_is_deterministic() -> None:
    strokes = load_templates().strokes("说")
    on = replace(NO_SLIPS, run_share=1.0)
    a = synthesize(strokes, np.random.default_rng(3), CAREFUL, NO_SLIPS)
    b = synthesize(strokes, np.random.default_rng(3), CAREFUL, on)  # the writer never runs
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    style = replace(CAREFUL, running=1.0)
    c = synthesize(strokes, np.random.default_rng(3), style, on)
    d = synthesize_batch(
        [strokes, KOU],
        [np.random.default_rng(3)] * 1 + [np.random.default_rng(4)],
        [style, style],
        on,
    )[0]
    e = synthesize(strokes, np.random.default_rng(3), style, on)
    for x, y, z in zip(c, d, e, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-9)
        np.testing.assert_array_equal(x, z)
    assert c[1].max() < a[1].max()


def test_preset_writers_have_the_habit() -> None:
    config = robust_writers()
    assert config.run_share == RUNNING["run_share"] > 0
    styles = [sample_writer(np.random.default_rng(i), config) for i in range(2000)]
    share = np.mean([s.running > 0 for s in styles])
    assert abs(share - config.run_share) < 0.04
    assert max(s.running for s in styles) <= config.run_rate
