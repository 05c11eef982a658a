"""The Japanese-order habit (issue 25): resources/tomoe/orders.json, its derivation, the habit."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from trainer.build.presets import ORDER, robust_writers
from trainer.data.config import DataConfig
from trainer.data.errors import DataError
from trainer.data.sources import SyntheticSource
from trainer.data.synth import SynthConfig, WriterStyle, sample_writer, synthesize
from trainer.data.synth import order as order_module
from trainer.data.synth.confusable import Twin
from trainer.data.synth.order import JapaneseTemplate, habits, japanese_orders, with_japanese
from trainer.data.templates import Templates, load_charset, load_shapes, load_templates

ROOT = Path(__file__).resolve().parents[2]
TOMOE = ROOT / "resources" / "tomoe"
#: The Debian tarball regenerate_orders.py reads (not bundled): the test that the bundled
#: orders.json is what the script derives runs where it is found.
TARBALL = Path(os.environ.get("TOMOE_TARBALL", "tegaki-zinnia-japanese_0.3.orig.tar.gz"))


def _script():
    spec = importlib.util.spec_from_file_location(
        "tomoe_regenerate_orders", TOMOE / "regenerate_orders.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- the table ------------------------------------------------------------------------------


def test_table_lists_level1_characters_tomoe_writes_otherwise() -> None:
    table = japanese_orders()
    assert 300 <= len(table) <= 450  # 388 when derived (README)
    level1, med = set(load_charset()), load_templates()
    tomoe = Templates(TOMOE / "tomoe.npz")
    for c, (order, back) in table.items():
        assert c in level1 and c not in tomoe, c  # tomoe.npz keeps those in the medians' order
        assert sorted(order) == list(range(len(med.strokes(c)))), c
        assert order != tuple(range(len(order))) or any(back), c  # something differs


def test_table_has_the_known_japanese_orders() -> None:
    table = japanese_orders()
    assert table["田"] == ((0, 1, 3, 2, 4), (False,) * 5)  # middle 丨 before the middle 一
    assert table["王"][0] == (0, 2, 1, 3)
    assert table["右"][0][:2] == (1, 0)  # ノ before 一
    assert table["北"][0][:2] == (1, 0)
    for c in "反板版":  # the first stroke of 反 left to right, nothing moved
        order, back = table[c]
        assert order == tuple(range(len(order)))
        reversed_strokes = [j for j, b in zip(order, back, strict=True) if b]
        assert reversed_strokes == [0 if c == "反" else 4], c


def test_bundled_file_is_what_the_script_derives(tmp_path: Path) -> None:
    if not TARBALL.is_file():
        pytest.skip(f"no {TARBALL} (set TOMOE_TARBALL to the Debian tarball)")
    out = tmp_path / "orders.json"
    assert _script().main(["--tarball", str(TARBALL), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (TOMOE / "orders.json").read_text(encoding="utf-8")


# match_order on made-up strokes (unit box, y down): 田 = 丨, 𠃍, 一 (middle), 丨 (middle), 一
TIAN = [
    np.array([[0.1, 0.1], [0.1, 0.9]]),
    np.array([[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]]),
    np.array([[0.1, 0.5], [0.9, 0.5]]),
    np.array([[0.5, 0.1], [0.5, 0.9]]),
    np.array([[0.1, 0.9], [0.9, 0.9]]),
]


def test_match_order_finds_the_permutation_and_reversals() -> None:
    match = _script().match_order
    jp = [TIAN[0], TIAN[1], TIAN[3] + 0.02, TIAN[2], TIAN[4]]
    assert match(jp, TIAN) == ([0, 1, 3, 2, 4], [])
    assert match([TIAN[0], TIAN[1], TIAN[2], TIAN[3], TIAN[4][::-1]], TIAN) == (
        [0, 1, 2, 3, 4],
        [4],
    )
    assert match(TIAN, TIAN) == ([0, 1, 2, 3, 4], [])


def test_match_order_rejects_other_shapes_and_counts() -> None:
    match = _script().match_order
    assert match(TIAN[:4], TIAN) is None
    far = [TIAN[0], TIAN[1], TIAN[2], np.array([[0.3, 0.1], [0.3, 0.4]]), TIAN[4]]
    assert match(far, TIAN) is None  # a short stub where the median has a long vertical


def test_a_broken_table_names_the_script(tmp_path: Path, monkeypatch) -> None:
    for text in ("{", '{"orders": {"田": {"order": [0, 0, 1], "reversed": []}}}'):
        bad = tmp_path / "orders.json"
        bad.write_text(text, encoding="utf-8")
        monkeypatch.setattr(order_module, "resource_file", lambda *_, p=bad: p)
        japanese_orders.cache_clear()
        try:
            with pytest.raises(DataError, match="regenerate_orders.py"):
                japanese_orders()
        finally:
            monkeypatch.undo()
            japanese_orders.cache_clear()
    assert "田" in japanese_orders()


# -- the habit ------------------------------------------------------------------------------


def test_templates_of_every_source_are_tagged() -> None:
    med, wenkai = load_templates(), load_shapes("wenkai")
    for shapes in (med, wenkai):
        tagged = with_japanese("田", shapes.strokes("田"))
        assert isinstance(tagged, JapaneseTemplate) and list(tagged) == shapes.strokes("田")
    plain = med.strokes("口")
    assert with_japanese("口", plain) is plain  # not listed
    assert with_japanese("田", plain) is plain  # another stroke count
    twin = Twin(med.strokes("田"))
    twin.damp = np.ones((5, 8))
    assert with_japanese("田", twin).damp is twin.damp
    # the training source tags its classes (阿 is the second class of level 1)
    source = SyntheticSource(DataConfig(num_classes=3))
    assert isinstance(source.shape(1, np.random.default_rng(0)), JapaneseTemplate)


def test_the_writer_writes_the_japanese_order_and_the_habits_on_it() -> None:
    t = load_templates()
    tian, bei, fan = (with_japanese(c, t.strokes(c)) for c in "田北反")
    rng = np.random.default_rng(0)
    assert habits(tian, WriterStyle(japanese=1.0), rng) == ([0, 1, 3, 2, 4], [False] * 5)
    assert habits(fan, WriterStyle(japanese=1.0), rng) == ([0, 1, 2, 3], [True] + [False] * 3)
    # 撇 reversed on the Japanese order: 北's 丿 (stroke 3) is still written 4th
    both = WriterStyle(japanese=1.0, pie_reverse=1.0)
    assert habits(bei, both, rng) == ([1, 0, 2, 3, 4], [False, False, False, True, False])
    # the crossing habit on 田's Japanese order writes the middle 一 first again
    assert habits(tian, WriterStyle(japanese=1.0, cross_swap=1.0), rng) == (
        [0, 1, 2, 3, 4],
        [False] * 5,
    )
    assert habits(tian, WriterStyle(), rng) is None


def test_written_ink_follows_the_japanese_order() -> None:
    """反 by a writer who never joins: its first pen-down stroke runs left to right."""
    fan = with_japanese("反", load_templates().strokes("反"))
    style = WriterStyle(cursiveness=1e-4, simplify=0.0, neatness=1.0, japanese=1.0)
    no_slips = replace(SynthConfig(), swap_prob=0.0, reverse_prob=0.0)
    for seed in range(10):
        xy, sid, _ = synthesize(fan, np.random.default_rng(seed), style, no_slips)
        first = xy[sid == 0]
        assert first[-1, 0] > first[0, 0]
        plain = replace(style, japanese=0.0)
        xy, sid, _ = synthesize(fan, np.random.default_rng(seed), plain, no_slips)
        first = xy[sid == 0]
        assert first[-1, 0] < first[0, 0]  # the standard 丿 runs right to left


def test_population_share_and_per_character_rate() -> None:
    config = robust_writers()
    styles = [sample_writer(np.random.default_rng(i), config) for i in range(4000)]
    rates = np.array([s.japanese for s in styles])
    assert abs(np.mean(rates > 0) - ORDER["japanese_share"]) < 0.02
    lo, hi = config.japanese_rate / 2, 1.5 * config.japanese_rate
    assert rates[rates > 0].min() >= lo and rates[rates > 0].max() <= hi
    assert abs(np.mean(rates[rates > 0]) - config.japanese_rate) < 0.05
    tian = with_japanese("田", load_templates().strokes("田"))
    style = WriterStyle(japanese=0.4)
    rng = np.random.default_rng(2)
    written = [habits(tian, style, rng) == ([0, 1, 3, 2, 4], [False] * 5) for _ in range(3000)]
    assert 0.37 < np.mean(written) < 0.43


def test_writers_without_the_habit_are_bit_identical() -> None:
    """Switching the habit on changes no draw of a writer without it: the writer's habit comes
    from a side stream, the per-character uniform only from writers with it."""
    on = replace(robust_writers(), digitizer_prob=0.0)
    off = replace(on, japanese_share=0.0)
    t = load_templates()
    tagged = [with_japanese(c, t.strokes(c)) for c in "田北反王右"]
    without = 0
    for i in range(60):
        tpl = tagged[i % len(tagged)]
        a, b = np.random.default_rng(i), np.random.default_rng(i)
        sa, sb = sample_writer(a, off), sample_writer(b, on)
        assert replace(sb, japanese=0.0) == sa
        xa, ia, _ = synthesize(tpl, a, sa, off)
        xb, ib, _ = synthesize(tpl, b, sb, on)
        if sb.japanese == 0:
            without += 1
            assert np.array_equal(xa, xb) and np.array_equal(ia, ib)
    assert without > 40
