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


def deform(tpl: Template, stroke_z: np.ndarray, r: float, hook: np.ndarray | None) -> np.ndarray:
    """Cut the corners, drop hooks, then offset, scale, rotate, bend and extend each stroke.

    Args:
        stroke_z: (K, 4) complex scaled draws: offset x + i y (em); log scale + i rotation
            (radians); bend (sideways push of the middle, fraction of length) + i extension
            at the start; extension at the end + i log connector reach. An extension is a
            fraction of the stroke's length, never shortening past half the end segment.
        r: Chaikin cut fraction (corner rounding). hook: (K,) strokes whose hook is
            dropped, or None.
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
    out[tpl.starts] -= ext[0] * tpl.len_entry
    out[tpl.ends] += ext[1] * len_exit
    return out


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
