"""Confusable twins (issue 25 item 3): the synthesizer keeps what tells them apart."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.support import twin_features
from tests.support.twin_features import lost
from trainer.build.presets import robust_writers
from trainer.data.synth import sample_writer, synthesize, synthesize_batch
from trainer.data.synth.confusable import Twin, distinguish
from trainer.data.templates import held_out_shape, load_shapes, load_templates

CONFIG = replace(robust_writers(), digitizer_prob=0.0)


def _aspect(strokes: list[np.ndarray]) -> float:
    w, h = np.ptp(np.concatenate(strokes), axis=0)
    return float(w / h)


def test_templates_brought_to_their_bounds() -> None:
    medians, wenkai = load_templates(), load_shapes("wenkai")
    ri = medians.strokes("日")
    assert distinguish("日", ri) is ri  # already tall: untouched
    assert distinguish("中", ri) is ri  # no bounds
    yue = wenkai.strokes("曰")
    assert _aspect(yue) < 0.9  # the WenKai fit's 曰 is a tall box
    fixed = distinguish("曰", yue)
    assert abs(_aspect(fixed) - 1.05) < 1e-3
    assert fixed[0].dtype == yue[0].dtype and len(fixed) == len(yue)


def test_same_writer_writes_ri_taller_than_yue() -> None:
    """The same writer's 日 (medians) is narrower than his 曰 (WenKai's, as trained): 95%
    of the preset's writers (79% with WenKai's 曰 as it is)."""
    ri, yue = load_templates().strokes("日"), distinguish("曰", load_shapes("wenkai").strokes("曰"))
    narrower = []
    for i in range(300):
        style = sample_writer(np.random.default_rng(i), CONFIG)
        a = [
            _aspect([synthesize(s, np.random.default_rng(10**6 + 2 * i + j), style, CONFIG)[0]])
            for j, s in enumerate((ri, yue))
        ]
        narrower.append(a[0] < a[1])
    assert np.mean(narrower) > 0.93


def _top_shorter(char: str, n: int = 200) -> float:
    """Share of inks (writers of the preset who lift the pen between strokes) whose top 横 is
    shorter than the lower one."""
    strokes = load_templates().strokes(char)
    out = []
    for i in range(n):
        rng = np.random.default_rng(i)
        style = replace(sample_writer(rng, CONFIG), cursiveness=1e-4, running=0.0)
        xy, sid, _ = synthesize(strokes, rng, style, CONFIG)
        hs = []
        for k in range(int(sid.max()) + 1):
            p = xy[sid == k]
            d = p[-1] - p[0]
            if abs(d[1]) < 0.3 * abs(d[0]) and abs(d[0]) > 0.1:
                hs.append((p[:, 1].mean(), np.ptp(p[:, 0])))
        if len(hs) >= 2:
            hs.sort()
            out.append(hs[0][1] < hs[-1][1])
    return float(np.mean(out))


def test_stroke_lengths_of_twins_kept() -> None:
    """未 / 末 and 土 / 士 differ by which 横 is longer: kept in over 93% of inks."""
    assert _top_shorter("未") > 0.93 and _top_shorter("末") < 0.07
    assert _top_shorter("土") > 0.93 and _top_shorter("士") < 0.07


def _reach(strokes: list[np.ndarray]) -> float:
    """Where the last stroke of 己 / 已 / 巳 starts: 0 at the top 横, 1 at the middle 横."""
    top = float(np.median(strokes[0][: max(2, len(strokes[0]) // 4), 1]))
    mid = float(strokes[1][:, 1].mean())
    return (float(strokes[2][:, 1].min()) - top) / (mid - top)


@pytest.mark.parametrize("source", ["medians", "tomoe", "wenkai"])
def test_si_family_kept(source: str) -> None:
    """己 open at the top-left (its last stroke starts at the middle 横), 已 half way up, 巳
    closed: the same writer's 己 starts lower than his 已, his 已 lower than his 巳, in over
    90% of inks (before: 65-75%); 巳 reaches the top (under a quarter of the way down)."""
    shapes = load_templates() if source == "medians" else load_shapes(source)
    reach = {
        c: {
            i: _reach(s)
            for i, s in twin_features.lifted_by_writer(c, source).items()
            if len(s) == 3
        }
        for c in "己已巳"
        if c in shapes and (source == "medians" or not held_out_shape(c))
    }
    for low, high in (("己", "已"), ("已", "巳"), ("己", "巳")):
        if low in reach and high in reach:
            both = reach[low].keys() & reach[high].keys()
            kept = np.mean([reach[low][i] > reach[high][i] for i in both])
            assert len(both) > 80 and kept > 0.9, (low, high, kept)
    if "巳" in reach:
        assert np.mean(list(reach["巳"].values())) < 0.25
        assert np.mean(np.array(list(reach["巳"].values())) < 0.25) > 0.9
    if "己" in reach:
        assert np.mean(np.array(list(reach["己"].values())) > 0.5) > 0.9


@pytest.mark.parametrize("source", ["medians", "tomoe", "wenkai"])
def test_ren_ru_kept(source: str) -> None:
    """人 starts its left stroke higher, 入 its right one (before: 80-87% of inks)."""
    for char, sign in (("人", -1.0), ("入", 1.0)):
        inks = twin_features.lifted_by_writer(char, source).values()
        gaps = [sign * (s[0][0, 1] - s[1][0, 1]) for s in inks if len(s) == 2]
        assert np.mean(np.array(gaps) > 0) > 0.95, (char, source)


@pytest.mark.parametrize("source", ["medians", "tomoe", "wenkai"])
def test_yi_er_apart(source: str) -> None:
    """一 stays flat and 二 keeps its height whether or not the pen joins its two strokes:
    every 一 flatter than every 二 but a few (height / width; measured 97-97.5% of 一 under
    0.4, 98.5-99.5% of 二 over it): nothing to protect."""
    shapes = load_templates() if source == "medians" else load_shapes(source)
    ratio = {}
    for char in "一二":
        r = []
        for i in range(200):
            rng = np.random.default_rng(i)
            strokes = distinguish(char, shapes.strokes(char))
            xy = synthesize(strokes, rng, sample_writer(rng, CONFIG), CONFIG)[0]
            w, h = np.ptp(xy, axis=0)
            r.append(h / w)
        ratio[char] = np.array(r)
    cut = 0.4
    assert np.mean(ratio["一"] < cut) > 0.96 and np.mean(ratio["二"] > cut) > 0.96


#: The real writers' misses 丁 -> 子, 巾 -> 中, 山 -> 凶, 乞 -> 气: the feature of each
#: (tests/support/twin_features.py) and the most inks that may lose it in any shape source
#: (lifted pen, standard order, 300 writers; bench/confusable_features.py). Lost before /
#: as trained, medians / tomoe / wenkai: 丁 11.1 / 5.6 / 16.7% -> 3.6 / 0 / 3.6%; 巾 9.4 /
#: 6.5 / 3.0% -> 3.0 / 3.6 / 1.5%; 山 4.7 / 9.7 / 4.4% -> 0.6 / 1.6 / 1.6%; 乞 3.2 / 7.1 /
#: 0.7% -> 1.8 / 0.6 / 0%.
STROKE_TWINS = (
    ("丁", "亅 not above 横", 0.05),
    ("巾", "冂 open", 0.05),
    ("山", "middle 丨 vertical", 0.03),
    ("乞", "乙 folds back", 0.03),
)


@pytest.mark.parametrize("source", ["medians", "tomoe", "wenkai"])
def test_stroke_twins_kept(source: str) -> None:
    for char, feature, most in STROKE_TWINS:
        assert lost(char, source)[feature] <= most, (char, feature)
    # what the twin shares or nothing undoes stays as written (under 5% lost: no damping)
    for char, feature in (("丁", "亅 from 横's middle"), ("丁", "横 straight")):
        assert lost(char, source)[feature] < 0.05, (char, feature)


def test_stroke_twin_margins_in_templates() -> None:
    """Each source's template brought to its margin: 丁's 亅 starts under its 横, 巾's hook
    tip 0.35 of the 冂's width right of the 丨, 山's middle stroke leaning like its right
    丨 (within 3 degrees); the rest of the template as it was."""
    for shapes in (load_templates(), load_shapes("tomoe"), load_shapes("wenkai")):
        for char in "丁巾山乞":
            raw = shapes.strokes(char)
            kept = distinguish(char, raw)
            assert isinstance(kept, Twin) and kept.damp.shape == (len(raw), 8)
            assert kept.damp.max() <= 1.0 and kept.damp.min() > 0.0
            s = [np.asarray(a, dtype=np.float64) for a in kept]
            moved = [float(np.abs(a - np.asarray(b)).max()) for a, b in zip(s, raw, strict=True)]
            assert max(moved) < 0.06  # a margin, not a new shape
            if char == "丁":
                assert twin_features.ding_top(s) >= 0.1  # starts at or below the 横
                assert moved[0] == 0.0
            if char == "巾":
                assert twin_features.jin_open(s) >= 0.3 - 1e-3  # (float16 templates)
                assert moved[0] == moved[2] == 0.0
            if char == "山":
                assert twin_features.shan_vertical(s) >= 12.0 - 0.1
                assert moved[1] == moved[2] == 0.0
            if char == "乞":
                assert max(moved) == 0.0  # damped only


def test_twin_template_deterministic_and_damped() -> None:
    """A twin's template carries its damping; every other character's is the same list."""
    medians = load_templates()
    ji = distinguish("己", medians.strokes("己"))
    assert isinstance(ji, Twin) and ji.damp.shape == (3, 8) and ji.damp.max() <= 1.0
    zhong = medians.strokes("中")
    assert distinguish("中", zhong) is zhong
    style = sample_writer(np.random.default_rng(5), CONFIG)
    a = synthesize(ji, np.random.default_rng(7), style, CONFIG)[0]
    b = synthesize(
        distinguish("己", medians.strokes("己")), np.random.default_rng(7), style, CONFIG
    )[0]
    assert np.array_equal(a, b)


def test_large_batch_with_twins() -> None:
    """A large batch mixing twins and other characters writes each as synthesize would
    (the per-stroke draw scales stacked contiguous)."""
    medians = load_templates()
    chars = "己已巳人入土士未末中日一二丁巾山乞" * 100
    picks = [distinguish(c, medians.strokes(c)) for c in chars]
    styles = [sample_writer(np.random.default_rng(i), CONFIG) for i in range(len(chars))]
    out = synthesize_batch(
        picks, [np.random.default_rng(i) for i in range(len(chars))], styles, CONFIG
    )
    one = synthesize(picks[7], np.random.default_rng(7), styles[7], CONFIG)
    assert len(out) == len(chars) and np.allclose(out[7][0], one[0], atol=1e-6)
