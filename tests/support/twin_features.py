"""What tells the real writers' stroke twins apart (issue 25), measured on synthesized inks.

Each measure takes the strokes of one ink written with the pen lifted between strokes in
standard order (the template's strokes, y down) and returns a number whose sign says
whether the character's feature against its twin is kept (positive) or lost (zero or
less). Used by tests/data/test_synth_confusable.py and bench/confusable_features.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from trainer.build.presets import robust_writers
from trainer.data.synth import sample_writer, synthesize
from trainer.data.synth.confusable import distinguish
from trainer.data.synth.synthesize import standard_order
from trainer.data.templates import load_shapes, load_templates

CONFIG = replace(robust_writers(), digitizer_prob=0.0)
Strokes = list[np.ndarray]


def lifted(char: str, source: str, n: int = 300, kept: bool = True) -> list[Strokes]:
    """``char`` from ``source`` (``kept``: as trained, ``distinguish``; else the template as
    it is) by writers 0..n-1 of the full preset who lift the pen between strokes: the
    strokes of each ink written in standard order and standard stroke count."""
    shapes = load_templates() if source == "medians" else load_shapes(source)
    count = len(shapes.strokes(char))
    return [s for s in lifted_by_writer(char, source, n, kept).values() if len(s) == count]


def lifted_by_writer(char: str, source: str, n: int = 150, kept: bool = True) -> dict[int, Strokes]:
    """As ``lifted``, by writer, whatever the ink's stroke count."""
    shapes = load_templates() if source == "medians" else load_shapes(source)
    strokes = shapes.strokes(char)
    if kept:
        strokes = distinguish(char, strokes)
    out = {}
    for i in range(n):
        rng = np.random.default_rng(i)
        style = replace(sample_writer(rng, CONFIG), cursiveness=1e-4, running=0.0)
        if not standard_order(strokes, rng, style, CONFIG):
            continue
        xy, sid, _ = synthesize(strokes, rng, style, CONFIG)
        out[i] = [xy[sid == k] for k in range(int(sid.max()) + 1)]
    return out


def _height(s: Strokes) -> float:
    return float(np.ptp(np.concatenate(s)[:, 1]))


def _y_at(stroke: np.ndarray, x: float) -> float:
    """The stroke's y where it passes ``x`` (a roughly horizontal stroke; nearest end
    outside it)."""
    order = np.argsort(stroke[:, 0])
    return float(np.interp(x, stroke[order, 0], stroke[order, 1]))


def _x_at(stroke: np.ndarray, y: float) -> float:
    order = np.argsort(stroke[:, 1])
    return float(np.interp(y, stroke[order, 1], stroke[order, 0]))


def ding_top(s: Strokes) -> float:
    """丁 against 子: the 亅 hangs from the 横, not poking above it (a 丁 whose vertical
    crosses its 横 reads as 子's lower 横 with a 乛 above): 0.08 of the height minus how far
    the 亅 starts above the 横 (where it meets it)."""
    h, v = s[0], s[1]
    poke = _y_at(h, float(v[0, 0])) - float(v[:, 1].min())
    return 0.1 - poke / _height(s)


def ding_middle(s: Strokes) -> float:
    """丁: the 亅 starts from the 横's middle, not its end (a 乛): 0.3 minus the distance of
    the start from the middle, in the 横's length."""
    h, v = s[0], s[1]
    t = (float(v[0, 0]) - h[:, 0].min()) / np.ptp(h[:, 0])
    return 0.3 - abs(t - 0.5)


def ding_straight(s: Strokes) -> float:
    """丁: the 横 stays straight, its end not turned down into a 乛: 0.15 minus the drop of
    its end below its line, in its length."""
    h = s[0]
    n = max(2, len(h) // 2)
    drop = float(h[-1, 1] - np.median(h[:n, 1]))
    return 0.15 - drop / float(np.ptp(h[:, 0]))


def jin_open(s: Strokes) -> float:
    """巾 against 中: the 冂 open at the bottom, its hook turning in short of the 丨: the
    hook tip's distance right of the 丨, in the 冂's width, minus 0.05."""
    left, frame, mid = s
    low = int(np.argmax(frame[:, 1]))  # the hook, not a writer's exit tail up to the 丨
    end = frame[low:][frame[low:, 1] >= frame[low, 1] - 0.15 * np.ptp(frame[:, 1])]
    tip = end[int(np.argmin(end[:, 0]))]
    width = float(frame[:, 0].max() - np.median(left[:, 0]))
    return (float(tip[0]) - _x_at(mid, float(tip[1]))) / width - 0.05


def jin_below(s: Strokes) -> float:
    """巾: the 丨 runs through below the 冂 (by more than 0.1 of the height)."""
    left, frame, mid = s
    bottom = max(float(left[:, 1].max()), float(frame[:, 1].max()))
    return (float(mid[:, 1].max()) - bottom) / _height(s) - 0.1


def _angle(d: np.ndarray) -> float:
    """Degrees from straight down (positive: leaning right at the bottom)."""
    return float(np.degrees(np.arctan2(d[0], d[1])))


def shan_vertical(s: Strokes) -> float:
    """山 against 凶: the middle stroke a 丨 like the right one (within 15 degrees of it; a
    writer's slant leans both), not one of 乂's diagonals (30-45 degrees)."""
    return 15.0 - abs(_lean(s[0]) - _lean(s[2]))


def _lean(stroke: np.ndarray) -> float:
    """A 丨's lean: from its start to its lowest point (a writer's exit tail left out)."""
    return _angle(stroke[int(np.argmax(stroke[:, 1]))] - stroke[0])


def shan_tallest(s: Strokes) -> float:
    """山: open at the top, the middle stroke rising above both sides (by more than 0.1 of
    the height)."""
    sides = min(float(s[1][:, 1].min()), float(s[2][:, 1].min()))
    return (sides - float(s[0][:, 1].min())) / _height(s) - 0.1


def qi_fold(s: Strokes) -> float:
    """乞 against 气: the last stroke (乙) folds back left after its top 横 (a Z: down-left,
    then along the bottom) where 气's goes on down the right: where it first crosses half
    way down, in its width from its start (乞 0.07-0.25, 气 0.6-0.72 in the templates),
    under 0.42."""
    z = s[-1]
    y_half = 0.5 * (float(z[0, 1]) + float(z[:, 1].max()))
    k = int(np.argmax(z[:, 1] >= y_half))
    t = (float(z[k, 0]) - float(z[0, 0])) / float(z[:, 0].max() - z[0, 0])
    return 0.42 - t


def flat(s: Strokes) -> float:
    """一 against 二: height / width under 0.4."""
    w, h = np.ptp(np.concatenate(s), axis=0)
    return 0.4 - float(h / w)


def tall(s: Strokes) -> float:
    """二 against 一: height / width over 0.4."""
    return -flat(s)


#: char -> (name, measure) of each feature that tells it from its twin.
FEATURES: dict[str, tuple[tuple[str, Callable[[Strokes], float]], ...]] = {
    "丁": (("亅 not above 横", ding_top), ("亅 from 横's middle", ding_middle),
           ("横 straight", ding_straight)),
    "巾": (("冂 open", jin_open), ("丨 below 冂", jin_below)),
    "山": (("middle 丨 vertical", shan_vertical), ("middle tallest", shan_tallest)),
    "乞": (("乙 folds back", qi_fold),),
    "一": (("flat", flat),),
    "二": (("tall", tall),),
}  # fmt: skip


def lost(char: str, source: str, n: int = 300, kept: bool = True) -> dict[str, float]:
    """Share of ``lifted`` inks that lose each feature of ``char`` (NaN: no ink)."""
    inks = lifted(char, source, n, kept)
    return {
        name: float(np.mean([f(s) <= 0 for s in inks])) if inks else float("nan")
        for name, f in FEATURES[char]
    }
