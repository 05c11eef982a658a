"""The split yardstick (issue 25): order, pen-downs per stroke, frequent characters."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainer.build.presets import robust_writers
from trainer.build.report import yardsticks_markdown
from trainer.data.synth import SynthConfig, WriterStyle, sample_writer, synthesize
from trainer.data.synth.synthesize import standard_order
from trainer.data.templates import load_templates
from trainer.split_yardstick import FREQUENT, _score, measure_splits, splits_markdown


class FakeCandidate:
    def __init__(self, char: str) -> None:
        self.char = char


class ReadsStandardOnly:
    """A recognizer that reads an ink right only when its first pen-down stroke is longer
    than wide (as 十's 一 is not): any deterministic stand-in will do for the plumbing."""

    def __init__(self, charset: str) -> None:
        self.charset = charset

    def recognize_batch(self, inks: list, n: int) -> list[list[FakeCandidate]]:
        out = []
        for ink in inks:
            s = ink.strokes[0][:, :2]
            right = np.ptp(s[:, 0]) < np.ptp(s[:, 1])
            out.append([FakeCandidate(ink.label if right else "一")])
        return out


def test_standard_order_tells_what_synthesize_writes_and_leaves_rng_alone() -> None:
    t = load_templates()
    shi = t.strokes("十")
    config = replace(SynthConfig(), swap_prob=0.0, reverse_prob=0.0)
    swapper = WriterStyle(cursiveness=1e-4, neatness=1.0, cross_swap=0.5)
    flags = []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        before = rng.bit_generator.state
        std = standard_order(shi, rng, swapper, config)
        assert rng.bit_generator.state == before
        xy, sid, _ = synthesize(shi, rng, swapper, config)
        first = xy[sid == 0]
        assert std == (np.ptp(first[:, 0]) > np.ptp(first[:, 1]))  # 一 first: standard
        flags.append(std)
    assert 0.3 < np.mean(flags) < 0.7
    rng = np.random.default_rng(0)
    assert standard_order(shi, rng, sample_writer(rng), SynthConfig()) in (True, False)


def test_score_splits_count_hits() -> None:
    r = _score(["a", "b", "c"], [["a"], ["x", "b"], []], np.array([True, True, False]))
    assert r == {"n": 2, "top1": 0.5, "top10": 1.0}


def test_measure_splits_on_a_stand_in_recognizer() -> None:
    charset = "十木王日口中人大天夫"
    rec = ReadsStandardOnly(charset)
    s = measure_splits(rec, robust_writers(), 60, seed=123)  # type: ignore[arg-type]
    order = s["order"]
    assert order["standard order"]["n"] + order["not standard"]["n"] == 60
    assert order["not standard"]["n"] > 5
    assert sum(r["n"] for r in s["pen_downs_per_stroke"].values()) == 60
    assert s["frequent"]["n"] == 60 and FREQUENT == 300
    assert all(b == "一" and k >= 1 for _, b, k in s["confusions"])
    assert sum(r["n"] for r in s["standard_strokes"].values()) == 60
    assert s["standard_strokes"]["1-4"]["n"] > 0  # 十, 日, 口, 人, ...
    for name in ("mashanzheng", "longcang"):  # running hand on shapes never trained on
        rows = s["cursive"][name]
        assert rows["all"]["n"] == 60
        assert sum(rows[k]["n"] for k in ("1 pen-down", "2 pen-downs", "3 or more")) == 60
        assert rows["1 pen-down"]["n"] > 15  # half of the writers run the whole character
    text = "\n".join(splits_markdown(s))
    assert "not standard" in text and "most frequent" in text
    assert "standard strokes: 1-4" in text and "running hand, longcang" in text
    y = {
        "inks": 1,
        "digitizers": {"as given": {"synthetic": {"n": 1, "top1": 1, "top10": 1}}},
        "shapes": {},
        "real": {},
        "splits": s,
    }
    assert "split as the real writers" in "\n".join(yardsticks_markdown(y))


def test_measure_splits_refuses_nothing_silently() -> None:
    with pytest.raises(ValueError, match="at least one ink"):
        measure_splits(ReadsStandardOnly("十"), robust_writers(), -1, seed=0)  # type: ignore[arg-type]
