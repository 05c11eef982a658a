"""What tells a confusable character from its twin, kept in every shape source's template.

Real writers' misses include 日 -> 曰, 己 / 已 / 巳 and 人 / 入 (issue 25). ``distinguish``
keeps, per twin, the feature that tells it apart, at a margin, while writers still vary
everything else:

- 日 / 曰: the box's proportion: 日 tall (width / height about 0.6), 曰 wide (1.05 or more;
  the WenKai fit's 曰 is 0.83 wide, a tall box the model then learns to read as 曰 too);
- 己 / 已 / 巳: where the last stroke (竖弯钩) starts between the top 横 and the middle one:
  己 at the middle (open at the top-left), 已 half way up, 巳 at the top (closed). The
  medians put 己's at 0.7 of the way and 已's at 0.5: after the writer's per-stroke noise
  (the long stroke's start extension above all) 已 read as 己 in a third of the inks;
- 人 / 入: which stroke starts higher (人 the left one, 入 the right one), 0.2 / 0.15 em apart;
- 土 / 士, 未 / 末: which 横 is longer (right in every source; the noise on their length
  halved);
- 丁 / 子, 巾 / 中, 山 / 凶, 乞 / 气 (``_STROKE_TWINS``): 丁's 亅 hangs from its 横, 巾's
  冂 stays open at the bottom, 山's middle stroke a 丨 like its sides, 乞's 乙 folds back:
  lost in 4-17% of the inks of some source before, 0-3.6% kept.

The template of a twin is a ``Twin``: its ``damp`` scales the writer's per-stroke draws
(offset, scale, rotation, bend, extension; ``template.Template.sd``) down on the strokes
that carry the feature, so the writer's distortions cannot undo it while the elastic
field, the writer's linear map, joins, timing and the digitizer act as on any character.
Measured in tests/data/test_synth_confusable.py (and docs/synthesizer.md).
"""

from __future__ import annotations

import math

import numpy as np

#: Width / height bounds of a character's template: (least, most).
ASPECT_BOUNDS: dict[str, tuple[float, float]] = {
    "曰": (1.05, math.inf),
    "日": (0.0, 0.72),
}


def distinguish(char: str, strokes: list[np.ndarray]) -> list[np.ndarray]:
    """``strokes`` kept to what tells ``char`` from its twins (``_protect``: a ``Twin`` with
    less noise on the strokes that carry it) and stretched about their box's centre to its
    aspect bounds (area kept); the same list object where there are none or they already
    hold."""
    strokes = _protect(char, strokes)
    bounds = ASPECT_BOUNDS.get(char)
    if bounds is None or not strokes:
        return strokes
    pts = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    w, h = hi - lo
    if w <= 0 or h <= 0:
        return strokes
    aspect = w / h
    target = min(max(aspect, bounds[0]), bounds[1])
    if target == aspect:
        return strokes
    f = math.sqrt(target / aspect)
    centre = 0.5 * (lo + hi)
    scale = np.array([f, 1.0 / f])
    return [
        ((np.asarray(s, dtype=np.float64) - centre) * scale + centre).astype(np.asarray(s).dtype)
        for s in strokes
    ]


class Twin(list):  # type: ignore[type-arg]
    """A twin's template (a list of strokes) with ``damp``: (K, 8) factors on the writer's
    per-stroke draw scales (``template.Template.sd``), less noise on the strokes that tell
    it from its twin. A template written in another order or direction (``structure``)
    is a new list and carries none."""

    damp: np.ndarray


#: Columns of ``Template.sd``: offset x, y, log scale, rotation, bend, start / end extension.
_OX, _OY, _SCALE, _ROT, _BEND, _EXT0, _EXT1 = 0, 1, 2, 3, 4, 5, 6


def _damp(k: int, rows: dict[int, dict[int, float]]) -> np.ndarray:
    d = np.ones((k, 8))
    for i, cols in rows.items():
        for c, f in cols.items():
            d[i, c] = f
    return d


def _reach(stroke: np.ndarray, target_y: float) -> np.ndarray:
    """A 竖弯钩 (down, then right) whose vertical starts at ``target_y``: the points above
    the bend stretched along y, the bend and what follows kept."""
    s = np.asarray(stroke, dtype=np.float64).copy()
    x0, y0 = s[0]
    moved = np.flatnonzero(s[:, 0] - x0 > 0.1)
    b = int(moved[0]) if moved.size else len(s) - 1
    yb = s[b, 1]
    if b == 0 or yb - y0 < 1e-6 or yb - target_y < 0.05:
        return s
    up = slice(0, b)
    s[up, 1] = yb - (yb - s[up, 1]) * (yb - target_y) / (yb - y0)
    return s


#: 己 / 已 / 巳: where the last stroke's vertical starts, between the top (0) and the middle
#: horizontal (1): 己 open at the top-left (starts at the middle), 已 half way up, 巳 closed.
_SI_REACH = {"己": 1.05, "已": 0.5, "巳": -0.03}
#: 人 / 入: start of the first stroke minus start of the second (y down) at most / least.
_REN_GAP = {"人": -0.2, "入": 0.15}


def _protect(char: str, strokes: list[np.ndarray]) -> list[np.ndarray]:
    """``strokes`` with the feature of ``char`` against its twins brought to a margin, and
    the noise on the strokes that carry it reduced; the same list where ``char`` has none."""
    k = len(strokes)
    if char in _SI_REACH and k == 3:
        s = [np.asarray(a, dtype=np.float64) for a in strokes]
        top, mid = s[0][:, 1].min(), s[1][:, 1].mean()
        out = Twin(
            [
                *strokes[:2],
                _reach(s[2], top + _SI_REACH[char] * (mid - top)).astype(
                    np.asarray(strokes[2]).dtype
                ),
            ]
        )
        out.damp = _damp(
            3,
            {
                0: {_OY: 0.3, _ROT: 0.5},
                1: {_OY: 0.3, _ROT: 0.5},
                2: {_OY: 0.2, _SCALE: 0.2, _ROT: 0.3, _BEND: 0.3, _EXT0: 0.1},
            },
        )
        return out
    if char in _REN_GAP and k == 2:
        s = [np.asarray(a, dtype=np.float64).copy() for a in strokes]
        gap = s[0][0, 1] - s[1][0, 1]
        want = _REN_GAP[char]
        if char == "人" and gap > want:  # raise the first stroke's start
            s[0] = _stretch_start(s[0], s[1][0, 1] + want)
        elif char == "入" and gap < want:  # raise the second stroke's start
            s[1] = _stretch_start(s[1], s[0][0, 1] - want)
        out = Twin([a.astype(np.asarray(b).dtype) for a, b in zip(s, strokes, strict=True)])
        out.damp = _damp(2, {i: {_OY: 0.5, _SCALE: 0.5, _EXT0: 0.3} for i in range(2)})
        return out
    if char in _LONGER and k >= 2:
        out = Twin(strokes)
        out.damp = _damp(k, {i: {_SCALE: 0.5, _EXT0: 0.5, _EXT1: 0.5} for i in _LONGER[char]})
        return out
    if char in _STROKE_TWINS and k == _STROKE_TWINS[char][0]:
        margin = _MARGINS.get(char)
        s = [np.asarray(a, dtype=np.float64) for a in strokes]
        kept = margin(s) if margin is not None else s
        out = Twin([a.astype(np.asarray(b).dtype) for a, b in zip(kept, strokes, strict=True)])
        out.damp = _damp(k, _STROKE_TWINS[char][1])
        return out
    return strokes


#: 土 / 士, 未 / 末: the two 横 whose lengths tell the twins apart (the noise on their
#: length halved).
_LONGER = {"土": (0, 2), "士": (0, 2), "未": (0, 1), "末": (0, 1)}


def _stretch_start(stroke: np.ndarray, target_y: float) -> np.ndarray:
    """A straight-ish stroke whose start moves along its own line to ``target_y``, its end
    kept."""
    s = stroke.copy()
    end = s[-1]
    dy = end[1] - s[0, 1]
    if abs(dy) < 1e-6:
        return s
    f = (end[1] - target_y) / dy
    return end + (s - end) * f


#: The real writers' misses 丁 -> 子, 巾 -> 中, 山 -> 凶, 乞 -> 气 (issue 25): stroke count of
#: the template and the noise damped on the strokes that carry the feature
#: (tests/support/twin_features.py measures each):
#: 丁: its 亅 hangs from the 横 (a 亅 poking through it makes a 十 under a stub, 子's lower
#: half), the 横's height and tilt and the 亅's start and length; 巾: the 冂 open at the
#: bottom, its hook turning in short of the 丨 (the 横折钩's hook, length and bend, the 丨's
#: place and bend); 山: the middle stroke a 丨 like the sides (their tilt and bend), not a
#: diagonal of 凶's 乂; 乞: its 乙 folds back left (a Z) where 气's goes on down the right
#: (the 乙's tilt, bend, length and start).
_STROKE_TWINS: dict[str, tuple[int, dict[int, dict[int, float]]]] = {
    "丁": (2, {0: {_OY: 0.3, _ROT: 0.5, _BEND: 0.5}, 1: {_OY: 0.3, _SCALE: 0.3, _EXT0: 0.2}}),
    "巾": (3, {1: {_OX: 0.5, _SCALE: 0.5, _ROT: 0.5, _BEND: 0.5, _EXT1: 0.2},
               2: {_OX: 0.5, _ROT: 0.5, _BEND: 0.5}}),
    "山": (3, {0: {_ROT: 0.3, _BEND: 0.3}, 2: {_ROT: 0.3, _BEND: 0.3}}),
    "乞": (3, {2: {_ROT: 0.5, _BEND: 0.5, _SCALE: 0.5, _EXT0: 0.5}}),
}  # fmt: skip
#: 丁: the 亅 starts at least this far (em) below the 横 where it meets it.
_DING_DROP = 0.02
#: 巾: the hook's tip at least this share of the 冂's width right of the 丨.
_JIN_OPEN = 0.35
#: 山: the middle stroke leans like the right 丨 within this many degrees.
_SHAN_LEAN = 3.0


def _ding(s: list[np.ndarray]) -> list[np.ndarray]:
    """丁 with its 亅 starting ``_DING_DROP`` below the 横 (or lower)."""
    h, v = s
    order = np.argsort(h[:, 0])
    y = float(np.interp(v[0, 0], h[order, 0], h[order, 1])) + _DING_DROP
    return [h, _stretch_start(v, y) if v[0, 1] < y else v]


def _jin(s: list[np.ndarray]) -> list[np.ndarray]:
    """巾 with the 横折钩's hook shortened towards its base until its tip is ``_JIN_OPEN``
    of the 冂's width right of the 丨."""
    left, frame, mid = s
    lower = np.flatnonzero(frame[:, 1] > frame[:, 1].mean())
    base = int(lower[np.argmax(frame[lower, 0])])
    tip = frame[-1]
    order = np.argsort(mid[:, 1])
    mid_x = float(np.interp(tip[1], mid[order, 1], mid[order, 0]))
    want = mid_x + _JIN_OPEN * float(frame[:, 0].max() - np.median(left[:, 0]))
    if base == len(frame) - 1 or tip[0] >= want or frame[base, 0] <= want:
        return s
    f = (frame[base, 0] - want) / (frame[base, 0] - tip[0])
    frame = frame.copy()
    frame[base + 1 :] = frame[base] + (frame[base + 1 :] - frame[base]) * f
    return [left, frame, mid]


def _shan(s: list[np.ndarray]) -> list[np.ndarray]:
    """山 with its middle stroke turned about its centre to lean like the right 丨 within
    ``_SHAN_LEAN`` degrees."""

    def lean(a: np.ndarray) -> float:
        d = a[-1] - a[0]
        return math.atan2(d[0], d[1])

    diff = lean(s[0]) - lean(s[2])
    limit = math.radians(_SHAN_LEAN)
    if abs(diff) <= limit:
        return s
    turn = diff - math.copysign(limit, diff)
    c, si = math.cos(turn), math.sin(turn)
    centre = 0.5 * (s[0].min(axis=0) + s[0].max(axis=0))
    rot = np.array([[c, -si], [si, c]])  # a downward vector's lean less ``turn``
    return [(s[0] - centre) @ rot.T + centre, s[1], s[2]]


_MARGINS = {"丁": _ding, "巾": _jin, "山": _shan}
