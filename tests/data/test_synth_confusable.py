"""Confusable twins (issue 25 item 3): the synthesizer keeps what tells them apart."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from trainer.build.presets import robust_writers
from trainer.data.synth import sample_writer, synthesize
from trainer.data.synth.confusable import distinguish
from trainer.data.templates import load_shapes, load_templates

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
