"""Running hand (行书): whole components, or whole characters, written in one pen-down.

Real writers write 6% of their characters in one pen-down and read worst there (44% top-1,
issue 25); fast writers abbreviate the common components the way running script does: 口 as
a loop, 氵 as one hooked vertical, 讠 as one stroke, 辶 as one wave. The synthesizer's
ordinary joins (``handwrite``) link two strokes now and then, each gap on its own; a
running character is another decision, taken once per character by a writer who has the
habit (``WriterStyle.running``):

- **components** (level 1): within each component of the character's two-part layout
  (``Template.run_part``; a character of one component: all of it) the pen joins almost
  every gap (the writer's cursiveness raised to ``SynthConfig.run_cursive``): 氵, 讠 and 辶
  become one stroke each, their dots ticks run into the next stroke;
- **whole** (level 2): every gap is joined, the whole character in one pen-down;
- and either way the corners are rounded as running script rounds them (at least
  ``run_round``), and a box closed by its bottom right after its 横折 (口, the tops of 足,
  号, 叫's left part) may be closed in one loop: the bottom written from right to left,
  back to where the box began (``run_loop``).

The decision takes one uniform the layout leaves unused (``draws.RUN``), so switching the
habit on changes no other draw of a character.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from trainer.data.synth.config import SynthConfig
    from trainer.data.synth.structure import Plan
    from trainer.data.synth.writer import WriterStyle

#: Most overlap (em) of two components' extents for a running character's components
#: (``template.components``): looser than the component layout's, so that 氵 and 可 (河),
#: 讠 and 兑 (说) count as two.
RUN_OVERLAP = 0.2

#: Levels of a running character: none, each component joined, the whole character.
NONE, COMPONENTS, WHOLE = 0, 1, 2

#: Boxes of templates already analysed, by the identity of their stroke list.
_CACHE: dict[int, tuple[list[np.ndarray], tuple[int, ...]]] = {}
_CACHE_SIZE = 20_000


def level(u: float, style: WriterStyle, config: SynthConfig) -> int:
    """The running level of one character from its uniform ``u`` (``draws.RUN``)."""
    if style.running <= 0 or u >= style.running:
        return NONE
    return WHOLE if u < style.running * config.run_whole else COMPONENTS


def boxes(strokes: list[np.ndarray]) -> tuple[int, ...]:
    """The bottoms of the template's small boxes closed right after their 横折 (口).

    A box is a vertical (the left side, 60-120 degrees, at least 0.08 em), then a 横折 of
    three points or more starting at its top and ending down and right of it, then a
    horizontal (within 25 degrees) from the vertical's bottom to the 横折's end (within
    0.12 em each). Returns the index of each box's bottom stroke.
    """
    hit = _CACHE.get(id(strokes))
    if hit is not None and hit[0] is strokes:
        return hit[1]
    ss = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    out = []
    for a in range(len(ss) - 2):
        v, top, b = ss[a], ss[a + 1], ss[a + 2]
        dv = v[-1] - v[0]
        if len(top) < 3 or len(b) < 2 or not (dv[1] > 0.08 and abs(dv[0]) < 0.6 * dv[1]):
            continue
        if np.hypot(*(top[0] - v[0])) > 0.12:
            continue
        if not (top[-1, 0] - top[0, 0] > 0.05 and top[-1, 1] - top[0, 1] > 0.08):
            continue
        db = b[-1] - b[0]
        if not (db[0] > 0.05 and abs(db[1]) < 0.47 * db[0]):
            continue
        if np.hypot(*(b[0] - v[-1])) < 0.12 and np.hypot(*(b[-1] - top[-1])) < 0.12:
            out.append(a + 2)
    found = tuple(out)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[id(strokes)] = (strokes, found)
    return found


def loop_plan(
    strokes: list[np.ndarray], plan: Plan | None, u: float, style: WriterStyle, config: SynthConfig
) -> Plan | None:
    """``plan`` with the bottoms of a running character's boxes written back (right to left)
    where the bottom still follows its 横折 directly; ``u`` is the character's run uniform
    (below ``style.running``), whose fraction decides the loop (no draw of its own)."""
    found = boxes(strokes)
    if not found or (u / style.running * 4.0) % 1.0 >= config.run_loop:
        return plan
    k = len(strokes)
    order, back, split = (
        (tuple(range(k)), (False,) * k, False) if plan is None else (plan[0], plan[1], plan[2])
    )
    flags = list(back)
    changed = False
    for c in found:
        pc = order.index(c)
        if pc > 0 and order[pc - 1] == c - 1 and not flags[pc]:
            flags[pc] = True
            changed = True
    return (tuple(order), tuple(flags), split) if changed else plan


def joins(
    join: np.ndarray,
    join_u: np.ndarray,
    join_w: np.ndarray,
    part: np.ndarray,
    gap_level: np.ndarray,
    config: SynthConfig,
) -> np.ndarray:
    """The joins (K-1,) with running characters' gaps joined: within a component at the
    running cursiveness, every gap of a whole one (never a gap whose ``join_w`` is inf: a
    broken stroke's, or one between two characters)."""
    c = config.run_cursive
    within = (part[:-1] == part[1:]) & (join_u * (1.0 + join_w * ((1.0 - c) / c)) < 1.0)
    out = join | ((gap_level >= COMPONENTS) & within)
    out |= (gap_level == WHOLE) & np.isfinite(join_w)
    return out
