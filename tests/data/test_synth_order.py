"""Stroke-order habits (issue 25): the sites found, the rates, writers' consistency, determinism."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from trainer.build.presets import ORDER, robust_writers
from trainer.data.synth import SynthConfig, WriterStyle, sample_writer, synthesize, synthesize_batch
from trainer.data.synth.order import analyse, habits
from trainer.data.templates import load_templates

F = np.float32
SHI = [np.array([[0.1, 0.5], [0.9, 0.5]], F), np.array([[0.5, 0.1], [0.5, 0.9]], F)]
#: 日: 丨, 𠃍, the middle 一, the bottom 一 that closes the box
RI = [
    np.array([[0.25, 0.1], [0.25, 0.9]], F),
    np.array([[0.25, 0.1], [0.75, 0.1], [0.75, 0.9]], F),
    np.array([[0.25, 0.5], [0.75, 0.5]], F),
    np.array([[0.25, 0.9], [0.75, 0.9]], F),
]
#: 人: 丿 (down-left), 乀
REN = [np.array([[0.55, 0.1], [0.1, 0.6]], F), np.array([[0.4, 0.35], [0.9, 0.9]], F)]


def test_sites_are_found_from_the_geometry() -> None:
    assert analyse(SHI).cross == ((1, 0),)
    assert analyse(RI).close == ((3, 2),)
    assert analyse(REN).pie == (0,)
    assert analyse(SHI).close == () and analyse(SHI).pie == ()
    t = load_templates()
    assert analyse(t.strokes("十")).cross == ((1, 0),)
    assert analyse(t.strokes("国")).close == ((7, 2),)
    assert analyse(t.strokes("你")).parts == 2  # 亻 then 尔


def test_each_habit_gives_the_alternative_order() -> None:
    rng = np.random.default_rng(0)
    assert habits(SHI, WriterStyle(cross_swap=1.0), rng) == ([1, 0], [False, False])
    assert habits(RI, WriterStyle(close_early=1.0), rng) == ([0, 1, 3, 2], [False] * 4)
    assert habits(REN, WriterStyle(pie_reverse=1.0), rng) == ([0, 1], [True, False])
    assert habits(SHI, WriterStyle(), rng) is None


def test_written_ink_follows_the_habit() -> None:
    """十 by a writer who never joins and always writes the crossing the other way: the first
    pen-down stroke is the vertical."""
    style = WriterStyle(cursiveness=1e-4, simplify=0.0, neatness=1.0, cross_swap=1.0)
    no_slips = replace(SynthConfig(), swap_prob=0.0, reverse_prob=0.0)
    for seed in range(20):
        xy, sid, _ = synthesize(SHI, np.random.default_rng(seed), style, no_slips)
        first = xy[sid == 0]
        assert np.ptp(first[:, 1]) > 2 * np.ptp(first[:, 0])


def test_rate_per_site_follows_the_writer() -> None:
    style = WriterStyle(cross_swap=0.3)
    swapped = [habits(SHI, style, np.random.default_rng(i)) is not None for i in range(4000)]
    assert 0.27 < np.mean(swapped) < 0.33


def test_population_shares_and_consistent_writers() -> None:
    config = robust_writers()
    styles = [sample_writer(np.random.default_rng(i), config) for i in range(3000)]
    share = np.mean([s.cross_swap > 0 for s in styles])
    assert abs(share - ORDER["cross_share"]) < 0.03
    assert abs(np.mean([s.pie_reverse > 0 for s in styles]) - ORDER["pie_share"]) < 0.03
    # a writer with the habit follows it at habit_min..1 of the sites, one without never
    t = load_templates()
    chars = [c for c in "十木王九左右丰古支夫" if analyse(t.strokes(c)).cross]
    for style in styles[:40]:
        rng = np.random.default_rng(1)
        rates = np.mean(
            [habits(t.strokes(c), style, rng) is not None for _ in range(30) for c in chars]
        )
        if style.cross_swap == 0 and style.parts_swap == 0 and style.pie_reverse == 0:
            assert rates == 0
        elif style.cross_swap > 0:
            assert rates > config.habit_min - 0.15


def test_default_writers_have_no_habits_and_no_draws() -> None:
    assert not SynthConfig().order_habits
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    style = sample_writer(a, SynthConfig())
    assert not style.has_habits
    sample_writer(b, replace(SynthConfig(), cross_share=0.5))
    assert a.random() != b.random()  # the habits draw only when switched on


def test_deterministic_batch_equals_single_and_templates_untouched() -> None:
    config = replace(
        robust_writers(),
        cross_share=1.0,
        close_share=1.0,
        pie_share=1.0,
        habit_min=1.0,
        digitizer_prob=0.0,
    )
    t = load_templates()
    tpls = [t.strokes(c) for c in "十日国人你木"]
    before = [[s.copy() for s in tpl] for tpl in tpls]
    styles = [sample_writer(np.random.default_rng(i), config) for i in range(len(tpls))]
    one = [
        synthesize(tpl, np.random.default_rng(i), st, config)
        for i, (tpl, st) in enumerate(zip(tpls, styles, strict=True))
    ]
    again = [
        synthesize(tpl, np.random.default_rng(i), st, config)
        for i, (tpl, st) in enumerate(zip(tpls, styles, strict=True))
    ]
    many = synthesize_batch(
        tpls, [np.random.default_rng(i) for i in range(len(tpls))], styles, config
    )
    for a, b, c in zip(one, again, many, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert np.allclose(a[0], c[0], atol=1e-6) and np.array_equal(a[1], c[1])
    for tpl, old in zip(tpls, before, strict=True):
        assert all(np.array_equal(s, o) for s, o in zip(tpl, old, strict=True))
