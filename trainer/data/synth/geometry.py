"""Flat-array geometry of the synthesizer: stroke deformation and pen-down connectors.

A character travels as complex points ``x + 1j * y`` (y down) of all its strokes in
writing order, with the per-stroke layout of a ``template.Template``. Working on the
concatenation, not stroke by stroke, keeps a character at a few dozen numpy calls (the
synthesizer's budget is about 0.25 ms a character). ``arr.repeat`` and
``np.add.accumulate`` stand in for ``np.repeat`` and ``np.cumsum``: the same results with a
third of the call overhead on these small arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trainer.data.synth.curves import CONNECTOR_A

if TYPE_CHECKING:
    from trainer.data.synth.template import Template


def deform(
    tpl: Template,
    stroke_z: np.ndarray,
    r: float | np.ndarray,
    hook: np.ndarray | None,
    fold_fix: bool = False,
) -> np.ndarray:
    """Cut the corners, drop hooks, then offset, scale, rotate, bend and extend each stroke.

    Args:
        stroke_z: (K, 4) complex scaled draws: offset x + i y (em); log scale + i rotation
            (radians); bend (sideways push of the middle, fraction of length) + i extension
            at the start; extension at the end + i log connector reach. An extension is a
            fraction of the stroke's length, never shortening past half the end segment.
        r: Chaikin cut fraction (corner rounding). hook: (K,) strokes whose hook is
            dropped, or None.
        fold_fix: a shortened end moved past the stroke's next point (its corner-cut point
            on the end segment) takes that point along (``_unfold``): the stroke is cut,
            not folded back on itself. False: the end point alone moves (the old output).
    Returns:
        (M,) complex points.
    """
    counts = tpl.counts
    points = tpl.z0 + r * tpl.dz
    len_exit = tpl.len_exit
    if hook is not None:
        points += (tpl.hook_z0 + r * tpl.hook_dz) * hook.repeat(counts)
        len_exit = np.where(hook, tpl.len_hook_exit, len_exit)
    scale = np.exp(stroke_z[:, 1])
    per = np.empty((3, len(counts)), dtype=np.complex128)
    per[0] = scale
    per[1] = tpl.centre * (1.0 - scale) + stroke_z[:, 0]
    per[2] = stroke_z[:, 2].real * tpl.len_normal
    rep = per.repeat(counts, axis=1)
    out = rep[0] * points
    out += rep[1]
    out += tpl.bulge * rep[2]
    ext = np.empty((2, len(counts)))
    ext[0] = stroke_z[:, 2].imag
    ext[1] = stroke_z[:, 3].real
    ext = np.maximum(ext, tpl.min_ext) * scale
    move_start = ext[0] * tpl.len_entry
    move_end = ext[1] * len_exit
    out[tpl.starts] -= move_start
    out[tpl.ends] += move_end
    if fold_fix:
        _unfold(out, tpl.starts, 1, -move_start)
        _unfold(out, tpl.ends, -1, move_end)
    return out


#: Where a shortened end puts the point it passed: this fraction of the way from the new
#: end to the point after (on the end segment's line, so the stroke's shape is unchanged).
UNFOLD_AT = 0.25


def _unfold(out: np.ndarray, ends: np.ndarray, step: int, move: np.ndarray) -> None:
    """Move the point next to each end ``ends`` (its neighbour ``step`` inwards) that the
    end's ``move`` carried the end past, to ``UNFOLD_AT`` of the way on to the point after
    it (in place). Only a point that the move passed (ahead of the old end, behind the new
    one, along the move) is touched: an extension passes none."""
    nxt = ends + step
    along = ((out[nxt] - out[ends]) * move.conjugate()).real
    folded = ((along < 0.0) & (along + (move * move.conjugate()).real > 0.0)).nonzero()[0]
    if len(folded):
        e, n = ends[folded], nxt[folded]
        out[n] = out[e] + UNFOLD_AT * (out[n + step] - out[e])


def folded_ends(points: np.ndarray, tpl: Template) -> tuple[int, int]:
    """(folded, all) stroke ends of ``deform``'s output: an end whose first segment runs
    back (negative dot product) against the segment after it. The end segment's three
    Chaikin points lie on one template segment, so only a fold reverses there."""
    ok = tpl.counts >= 3
    fold = 0
    for ends, step in ((tpl.starts[ok], 1), (tpl.ends[ok], -1)):
        a, b, c = points[ends], points[ends + step], points[ends + 2 * step]
        fold += int((((b - a) * (c - b).conjugate()).real < 0.0).sum())
    return fold, 2 * int(ok.sum())


def join_strokes(
    points: np.ndarray, tpl: Template, join: np.ndarray, reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Insert pen-down connectors after every stroke that ``join`` (K-1,) links to the next.

    A connector is a cubic Bezier from the stroke's end A, leaving along the stroke's exit
    direction, to the next start B, arriving along that stroke's entry direction; its
    control arms are ``reach`` (K-1,) times |AB| (larger: rounder, loopier joins). Being
    tangent at both ends, it adds no corner.

    Returns:
        points (n,) complex, group (n,) intp (the pen-down stroke of each point), speed (n,)
        the template's pen speed factor at each point, stroke (n,) the template stroke of
        each point (a connector: the stroke before it), and the group of each stroke (K,).
    """
    group = np.zeros(len(tpl.counts), dtype=np.intp)
    if len(join) == 0:
        return points, group.repeat(tpl.counts), tpl.speed.copy(), group.repeat(tpl.counts), group
    np.add.accumulate(~join, out=group[1:])
    A, B = points[tpl.ends[:-1]], points[tpl.starts[1:]]
    arm = np.abs(B - A) * reach
    out = np.empty(tpl.slots, dtype=np.complex128)
    out[tpl.point_slot] = points
    out[tpl.conn_slot] = (
        A[:, None] * CONNECTOR_A[0] + B[:, None] * CONNECTOR_A[1] + arm[:, None] * tpl.conn_dir
    )
    keep = tpl.is_point.copy()
    keep[tpl.conn_slot] = join[:, None]
    idx = keep.nonzero()[0]
    stroke = tpl.slot_stroke[idx]
    return out[idx], group[stroke], tpl.speed[idx], stroke, group
