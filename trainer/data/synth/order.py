"""Stroke orders people write: a writer's habits applied by structure-aware rules.

Real writers (the realism card, issue 25) move 14.4% of their strokes out of the standard
place and write 4.1% of left-falling strokes (撇) end to start. The deviations are not
random swaps: each writer has habits and keeps them across characters. From a template's
stroke medians (``analyse``, once per template) four kinds of site are found:

- **crossings**: a later stroke that crosses an earlier one at a clear angle, within three
  strokes of it, the nearest (十: 一 then 丨; 王: the 丨 before the second 一; 九, 左): the
  habit writes the later stroke first;
- **enclosures closed early**: a box of left vertical, 横折 and a bottom 横 that closes it
  after its interior (日, 国, 白): the habit writes the bottom right after the 横折, before
  what is inside;
- **components**: a character of two parts side by side or one above the other
  (``template.components``, two strokes or more each: 你 = 亻 + 尔): the habit writes the
  second part first;
- **left-falling strokes**: a stroke whose chord runs down-left (120-180 degrees, y down,
  at least 0.25 em): the habit writes it from its end to its start.

``WriterStyle`` holds each habit's per-site probability (0 for a writer without it);
``habits`` draws one uniform per site of the template (always the same number for a
template, whatever the writer) and returns the order and directions to write.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from trainer.data.synth.template import components

if TYPE_CHECKING:
    from trainer.data.synth.writer import WriterStyle

#: Templates already analysed, by the identity of their stroke list (the loaders hand out
#: the same list every time); cleared when it reaches ``_CACHE_SIZE``.
_CACHE: dict[int, tuple[list[np.ndarray], Sites]] = {}
_CACHE_SIZE = 20_000


class Sites(NamedTuple):
    """Where a template allows the habitual alternative orders.

    Attributes:
        cross: (j, i) pairs: stroke j may be written just before the earlier stroke i.
        close: (c, i) pairs: the closing bottom stroke c may be written at position i.
        parts: the first stroke of the second component (0: not a two-part character).
        pie: indices of the left-falling strokes.
    """

    cross: tuple[tuple[int, int], ...]
    close: tuple[tuple[int, int], ...]
    parts: int
    pie: tuple[int, ...]

    @property
    def n(self) -> int:
        """Uniform draws a character of this template takes for its habits."""
        return len(self.cross) + len(self.close) + 1 + len(self.pie)


def _angle(s: np.ndarray) -> float:
    d = s[-1] - s[0]
    return math.degrees(math.atan2(d[1], d[0]))


def _chord(s: np.ndarray) -> float:
    return float(np.hypot(*(s[-1] - s[0])))


def _crosses(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether polylines a and b cross in their interiors (not at or near their ends)."""
    p, r = a[:-1], np.diff(a, axis=0)  # segments p + t r, q + s e
    q, e = b[:-1], np.diff(b, axis=0)
    cross = r[:, None, 0] * e[None, :, 1] - r[:, None, 1] * e[None, :, 0]
    d = q[None, :, :] - p[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (d[..., 0] * e[None, :, 1] - d[..., 1] * e[None, :, 0]) / cross
        s = (d[..., 0] * r[:, None, 1] - d[..., 1] * r[:, None, 0]) / cross
    hit = (np.abs(cross) > 1e-9) & (t > 0) & (t < 1) & (s > 0) & (s < 1)
    if not hit.any():
        return False
    # the crossing must lie away from both strokes' ends (a touch at a corner is no crossing)
    la = np.concatenate([[0.0], np.cumsum(np.hypot(*r.T))])
    lb = np.concatenate([[0.0], np.cumsum(np.hypot(*e.T))])
    ii, jj = np.nonzero(hit)
    fa = (la[ii] + t[ii, jj] * np.hypot(*r[ii].T)) / max(la[-1], 1e-9)
    fb = (lb[jj] + s[ii, jj] * np.hypot(*e[jj].T)) / max(lb[-1], 1e-9)
    return bool(np.any((fa > 0.1) & (fa < 0.9) & (fb > 0.1) & (fb < 0.9)))


def analyse(strokes: list[np.ndarray]) -> Sites:
    """The habit sites of one template (cached by the identity of the list)."""
    hit = _CACHE.get(id(strokes))
    if hit is not None and hit[0] is strokes:
        return hit[1]
    ss = [np.asarray(s, dtype=np.float64) for s in strokes]
    k = len(ss)
    ang = [_angle(s) for s in ss]
    chord = [_chord(s) for s in ss]
    cross, used = [], set()
    for j in range(1, k):
        for i in range(j - 1, max(0, j - 3) - 1, -1):  # the nearest first
            diff = abs((ang[i] - ang[j] + 180.0) % 360.0 - 180.0)
            if (
                chord[i] > 0.15
                and chord[j] > 0.15
                and 45.0 < diff < 135.0
                and i not in used
                and len(ss[i]) > 1
                and len(ss[j]) > 1
                and _crosses(ss[i], ss[j])
            ):
                cross.append((j, i))
                used.update((i, j))
                break
    close = []
    for a in range(k - 3):
        v, top = ss[a], ss[a + 1]
        if not (60.0 < ang[a] < 120.0 and chord[a] > 0.1):
            continue
        if np.hypot(*(top[0] - v[0])) > 0.1 or len(top) < 3:
            continue
        if not (top[-1, 0] - top[0, 0] > 0.1 and top[-1, 1] - top[0, 1] > 0.1):
            continue
        for c in range(a + 3, min(k, a + 12)):
            b = ss[c]
            if (
                abs(ang[c]) < 25.0
                and np.hypot(*(b[0] - v[-1])) < 0.12
                and np.hypot(*(b[-1] - top[-1])) < 0.12
            ):
                close.append((c, a + 2))
                break
    parts = 0
    if k >= 2:
        X = np.concatenate([s[:, 0] + 1j * s[:, 1] for s in ss])
        ends = np.cumsum([len(s) for s in ss]) - 1
        starts = ends - np.array([len(s) for s in ss]) + 1
        part = components(X, starts, ends, 0.05)[0]
        if part.any() and part[0] != part[-1]:
            cut = int(np.flatnonzero(part != part[0])[0])
            parts = cut if 2 <= cut <= k - 2 else 0  # two strokes or more in each part
    pie = tuple(i for i in range(k) if 120.0 <= ang[i] <= 180.0 and chord[i] >= 0.25)
    sites = Sites(tuple(cross), tuple(close), parts, pie)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[id(strokes)] = (strokes, sites)
    return sites


def habits(
    strokes: list[np.ndarray], style: WriterStyle, rng: np.random.Generator
) -> tuple[list[int], list[bool]] | None:
    """The writing order and directions ``style``'s habits give this template.

    Draws ``analyse(strokes).n`` uniforms from rng whatever the writer (the draw layout
    depends on the template only). Returns (order: template stroke index at each writing
    position, reversed flag at each position), or None when the standard order stands.
    """
    sites = analyse(strokes)
    u = rng.random(sites.n)
    k = len(strokes)
    order = list(range(k))
    n_cross, n_close = len(sites.cross), len(sites.close)
    changed = False
    if style.parts_swap > 0 and sites.parts and u[n_cross + n_close] < style.parts_swap:
        order = order[sites.parts :] + order[: sites.parts]
        changed = True
    for m, (j, i) in enumerate(sites.cross):
        if u[m] < style.cross_swap:
            pj, pi = order.index(j), order.index(i)
            if pj > pi:
                order.insert(pi, order.pop(pj))
                changed = True
    for m, (c, i) in enumerate(sites.close):
        if u[n_cross + m] < style.close_early:
            pc, pa = order.index(c), order.index(i - 1)
            if pc > pa + 1:
                order.insert(pa + 1, order.pop(pc))
                changed = True
    back = [False] * k
    base = n_cross + n_close + 1
    for m, i in enumerate(sites.pie):
        if u[base + m] < style.pie_reverse:
            back[order.index(i)] = True
            changed = True
    return (order, back) if changed else None
