"""Stroke-level changes a writer makes to the standard template: order, direction, breaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from trainer.data.synth.config import SynthConfig


#: How a character is written relative to its template: (template stroke index at each
#: writing position, reversed flag at each position, one stroke broken at its sharpest corner).
Plan = tuple[tuple[int, ...], tuple[bool, ...], bool]


def restructure(
    k: int,
    u: np.ndarray,
    rng: np.random.Generator,
    config: SynthConfig,
    split_prob: float,
    habit: tuple[list[int], list[bool]] | None = None,
) -> Plan | None:
    """Rarely swap two adjacent strokes, reverse one, or break one at its sharpest corner.

    Real writers deviate from the standard stroke order and direction now and then, and a
    few lift the pen in the middle of a turning stroke (横折 written as two strokes), which is
    why about 1% of real samples have more pen-down strokes than the standard count.

    Args:
        k: strokes of the template. u: (3,) uniform draws deciding whether to swap,
            reverse (config.swap_prob, reverse_prob) or split (``split_prob``, the
            writer's); rng picks which strokes when one happens.
        habit: the order and directions of the writer's habits (``order.habits``), which
            these slips then change; None: the standard ones.
    Returns:
        the plan of what to write (``materialize``), or None when the template stands.
    """
    swap = u[0] < config.swap_prob and k >= 2
    reverse = u[1] < config.reverse_prob
    split = bool(u[2] < split_prob)
    if not (swap or reverse or split) and habit is None:
        return None
    order, back = (
        (list(range(k)), [False] * k) if habit is None else (list(habit[0]), list(habit[1]))
    )
    if swap:
        i = int(rng.integers(k - 1))
        order[i], order[i + 1] = order[i + 1], order[i]
        back[i], back[i + 1] = back[i + 1], back[i]
    if reverse:
        i = int(rng.integers(k))
        back[i] = not back[i]
    return tuple(order), tuple(back), split


def materialize(strokes: list[np.ndarray], plan: Plan) -> tuple[list[np.ndarray], int]:
    """The strokes a plan writes, in writing order, and the gap where a stroke was broken
    (the pen is lifted there: never joined), or -1."""
    order, back, split = plan
    out = [strokes[j][::-1] if b else strokes[j] for j, b in zip(order, back, strict=False)]
    return _split_sharpest(out) if split else (out, -1)


def _split_sharpest(strokes: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """Break the stroke with the sharpest interior corner there (unchanged if none turns).

    Returns the strokes and the gap between the two halves (-1 when nothing was broken).
    """
    best, where, cos_min = -1, 0, 0.0  # only corners of more than 90 degrees
    for i, s in enumerate(strokes):
        if len(s) < 3:
            continue
        d = np.diff(np.asarray(s, dtype=np.float64), axis=0)
        d /= np.maximum(np.hypot(d[:, :1], d[:, 1:]), 1e-12)
        cos = (d[:-1] * d[1:]).sum(axis=1)
        j = int(np.argmin(cos))
        if cos[j] < cos_min:
            best, where, cos_min = i, j + 1, float(cos[j])
    if best < 0:
        return strokes, -1
    s = strokes[best]
    return strokes[:best] + [s[: where + 1], s[where:]] + strokes[best + 1 :], best
