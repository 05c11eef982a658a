"""A stroke template's geometry, computed once and cached for the synthesizer.

Points travel as complex numbers ``x + 1j * y`` (y down): a rotation and scale is one
multiplication and a 2x2 linear map is ``a * z + b * conj(z)``, which keeps the
synthesizer at few numpy calls per character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Points of a pen-down connector between two joined strokes.
N_CONNECTOR = 3
#: Most templates kept by ``prepare``'s cache (9,574 characters have templates).
CACHE_SIZE = 16384


@dataclass(frozen=True)
class Template:
    """Geometry of one template (K strokes, M points, every stroke of at least 2 points).

    Attributes:
        z: (M,) complex points. counts, starts, ends: (K,) points per stroke, index of
            each stroke's first and last point. bulge: (M,) 4u(1-u) for u the arc-length
            fraction of the point along its stroke (the shape of a bend).
        length: (K,) stroke lengths. entry, exit: (K,) complex unit directions of each
            stroke's first and last segment. normal: (K,) unit normal of each chord.
        centre: (K,) midpoint of each chord. min_ext: (2, K) the most a stroke may be
            shortened at its start and end (minus half the end segments' lengths).
        gap: (K-1,) distance from each stroke's end to the next one's start. ahead: (K-1,)
            cosine between a stroke's exit direction and the way to the next start.
        hook: (K,) whether the stroke ends in a hook. hook_tip: (K,) complex, where a dropped
            hook's tip goes. hook_exit: (K,) the exit direction without the hook.
        hook_frac: the hook_frac it was built with.
        slots: length of the padded layout of the joined path: every stroke's points, each
            followed (but the last) by N_CONNECTOR connector slots. point_slot: (M,) slot of
            each point. conn_slot: (K-1, N_CONNECTOR) slots of each connector.
            slot_stroke: (slots,) the stroke each slot belongs to (a connector: the stroke
            before it). is_point: (slots,) bool, True at point slots.
    """

    z: np.ndarray
    counts: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    bulge: np.ndarray
    length: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    normal: np.ndarray
    centre: np.ndarray
    min_ext: np.ndarray
    gap: np.ndarray
    ahead: np.ndarray
    hook: np.ndarray
    hook_tip: np.ndarray
    hook_exit: np.ndarray
    hook_frac: float
    slots: int
    point_slot: np.ndarray
    conn_slot: np.ndarray
    slot_stroke: np.ndarray
    is_point: np.ndarray


def unit(z: np.ndarray) -> np.ndarray:
    """Complex numbers scaled to modulus 1 (zero stays zero)."""
    return z / np.maximum(np.abs(z), 1e-12)


def build(strokes: list[np.ndarray], hook_frac: float = 0.3) -> Template:
    """The geometry of ``strokes`` (one (k_i, 2) array per stroke; not modified).

    A one-point stroke (a dot) becomes a tiny tick of two points. A hook is a last segment
    shorter than ``hook_frac`` of its stroke that turns back by more than 90 degrees.
    """
    if len(strokes) == 0:
        raise ValueError("a template needs at least one stroke")
    parts = []
    for s in strokes:
        a = np.asarray(s, dtype=np.float64).reshape(-1, 2)
        if len(a) == 0:
            raise ValueError("a template stroke has no points")
        if len(a) == 1:
            a = np.concatenate([a, a + [0.004, 0.006]])
        parts.append(a)
    counts = np.array([len(a) for a in parts], dtype=np.intp)
    z = np.ascontiguousarray(np.concatenate(parts)).view(np.complex128).ravel()
    ends = np.cumsum(counts) - 1
    starts = ends - counts + 1
    d = z[1:] - z[:-1]
    seg = np.abs(d)
    seg[ends[:-1]] = 0.0
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    length = cum[ends] - cum[starts]
    u = (cum - np.repeat(cum[starts], counts)) / np.repeat(np.maximum(length, 1e-9), counts)
    chord = z[ends] - z[starts]
    entry, exit_ = unit(d[starts]), unit(d[ends - 1])
    gapv = z[starts[1:]] - z[ends[:-1]]
    v1 = z[ends - 1] - z[np.maximum(ends - 2, starts)]
    v2 = z[ends] - z[ends - 1]
    hook = (counts >= 3) & (np.abs(v2) < hook_frac * length) & ((v2 * v1.conj()).real < 0)
    return Template(
        z=z, counts=counts, starts=starts, ends=ends, bulge=4.0 * u * (1.0 - u),
        length=length, entry=entry, exit=exit_, normal=unit(1j * chord),
        centre=0.5 * (z[starts] + z[ends]), min_ext=-0.5 * np.stack([seg[starts], seg[ends - 1]]),
        gap=np.abs(gapv), ahead=(exit_[:-1] * unit(gapv).conj()).real, hook=hook,
        hook_tip=z[ends - 1] + 0.01 * unit(v1), hook_exit=unit(v1),
        hook_frac=hook_frac,
        **_layout(counts),
    )


def _layout(counts: np.ndarray) -> dict[str, object]:
    """The padded layout of a path with a connector slot group after every stroke but the last."""
    k = len(counts)
    padded = counts + N_CONNECTOR
    padded[-1] -= N_CONNECTOR
    first = np.cumsum(padded) - padded
    point_slot = np.arange(int(counts.sum())) + np.repeat(first - (np.cumsum(counts) - counts), counts)
    conn_slot = (first + counts)[:-1, None] + np.arange(N_CONNECTOR)
    slots = int(padded.sum())
    is_point = np.zeros(slots, dtype=bool)
    is_point[point_slot] = True
    return {
        "slots": slots,
        "point_slot": point_slot,
        "conn_slot": conn_slot,
        "slot_stroke": np.repeat(np.arange(k), padded),
        "is_point": is_point,
    }


class TemplateCache:
    """Templates already built, keyed by the identity of the stroke list and its arrays.

    The template loader hands out the same read-only list for a character every time, so
    the identity of the list and of each array tells a template apart; a changed list
    (another object) is simply built again.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: dict[int, tuple[list[np.ndarray], tuple[np.ndarray, ...], Template]] = {}

    def get(self, strokes: list[np.ndarray], hook_frac: float) -> Template:
        hit = self._entries.get(id(strokes))
        if (
            hit is not None
            and hit[0] is strokes
            and len(hit[1]) == len(strokes)
            and all(a is b for a, b in zip(hit[1], strokes))
            and hit[2].hook_frac == hook_frac
        ):
            return hit[2]
        tpl = build(strokes, hook_frac)
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[id(strokes)] = (strokes, tuple(strokes), tpl)
        return tpl
