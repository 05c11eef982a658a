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

One habit is a table, not a rule: the **Japanese order** of the 388 characters that the Tomoe
dictionary writes in another order or direction than the medians (田: the middle 丨 before
the middle 一; 右: ノ first; 反: its first stroke left to right), in
resources/tomoe/orders.json (its regenerate_orders.py). ``with_japanese`` tags a character's
template (of any shape source: they share the medians' strokes) with its order; a writer
with the habit writes it in that order, and the other habits then apply to that order.

``WriterStyle`` holds each habit's per-site probability (0 for a writer without it);
``habits`` draws one uniform per site of the template (always the same number for a
template, whatever the writer without the Japanese habit; a writer with it draws one more
on the characters of the table, then one per site of the order it writes) and returns the
order and directions to write.
"""

from __future__ import annotations

import functools
import json
import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from trainer.data.errors import DataError
from trainer.data.synth.template import components
from trainer.data.templates import resource_file

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
    cross: list[tuple[int, int]] = []
    used: set[int] = set()
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


#: A character's order in another standard: (template stroke at each writing position,
#: reversed flag at each position).
Standard = tuple[tuple[int, ...], tuple[bool, ...]]


@functools.lru_cache(maxsize=1)
def japanese_orders() -> dict[str, Standard]:
    """The Japanese (Tomoe) orders of resources/tomoe/orders.json, by character.

    Raises:
        DataError: the file is missing or malformed (naming the script that rebuilds it).
    """
    path = resource_file("tomoe", "orders.json")
    fix = "rebuild it with resources/tomoe/regenerate_orders.py"
    try:
        table = json.loads(path.read_text(encoding="utf-8"))["orders"]
        out = {}
        for char, rec in table.items():
            order = tuple(int(j) for j in rec["order"])
            back = {int(j) for j in rec["reversed"]}
            if sorted(order) != list(range(len(order))) or not back <= set(order):
                raise ValueError(f"{char}: {order} is no permutation of its strokes")
            out[char] = (order, tuple(j in back for j in order))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"cannot read the Japanese stroke orders {path}: {e}; {fix}") from e
    return out


class JapaneseTemplate(list):  # type: ignore[type-arg]
    """A character's template (strokes in standard order) tagged with its Japanese order.

    Attributes:
        japanese: the ``Standard`` order a writer with the habit writes it in.
        written: the strokes in that order and direction (one list: its habit sites are
            found once).
        damp: a twin's per-stroke noise factors (``confusable.Twin``), when it has them.
    """

    japanese: Standard
    written: list[np.ndarray]
    damp: np.ndarray


def with_japanese(char: str, strokes: list[np.ndarray]) -> list[np.ndarray]:
    """``strokes`` tagged with ``char``'s Japanese order (a new list of the same arrays), or
    ``strokes`` itself where the table has none or another stroke count."""
    jp = japanese_orders().get(char)
    if jp is None or len(jp[0]) != len(strokes):
        return strokes
    out = JapaneseTemplate(strokes)
    out.japanese = jp
    out.written = [strokes[j][::-1] if b else strokes[j] for j, b in zip(*jp, strict=True)]
    damp = getattr(strokes, "damp", None)
    if damp is not None:
        out.damp = damp
    return out


def habits(
    strokes: list[np.ndarray], style: WriterStyle, rng: np.random.Generator
) -> tuple[list[int], list[bool]] | None:
    """The writing order and directions ``style``'s habits give this template.

    A writer with the Japanese habit first draws one uniform on a template tagged by
    ``with_japanese``, deciding whether to write its Japanese order; then ``analyse(base).n``
    uniforms, base the order written (the draw layout depends on the template only for
    every writer without that habit). Returns (order: template stroke index at each writing
    position, reversed flag at each position), or None when the standard order stands.
    """
    jp: Standard | None = getattr(strokes, "japanese", None) if style.japanese > 0 else None
    use = jp is not None and rng.random() < style.japanese
    base: list[np.ndarray] = strokes.written if use else strokes  # type: ignore[attr-defined]
    sites = analyse(base)
    u = rng.random(sites.n)
    k = len(strokes)
    order = list(range(k))
    n_cross, n_close = len(sites.cross), len(sites.close)
    changed = use
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
    base_n = n_cross + n_close + 1
    for m, i in enumerate(sites.pie):
        if u[base_n + m] < style.pie_reverse:
            back[order.index(i)] = True
            changed = True
    if use:  # base stroke q is template stroke jp[0][q], reversed when jp[1][q]
        assert jp is not None
        back = [jp[1][q] != b for q, b in zip(order, back, strict=True)]
        order = [jp[0][q] for q in order]
    return (order, back) if changed else None
