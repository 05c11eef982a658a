"""Flat-array geometry of the synthesizer: stroke deformation, connectors, corner rounding.

A character travels as complex points ``x + 1j * y`` (y down) of all its strokes in
writing order, with the per-stroke layout of a ``synth_template.Template``. Working on the
concatenation, not stroke by stroke, keeps a character at a few dozen numpy calls; the
synthesizer's budget is about 0.25 ms a character. (``arr.repeat`` and
``np.add.accumulate`` stand in for ``np.repeat`` and ``np.cumsum``: same results, a third
of the call overhead on these small arrays.)
"""

from __future__ import annotations

import numpy as np

from trainer.data.synth_template import N_CONNECTOR, Template

_T = np.linspace(0.0, 1.0, N_CONNECTOR + 2)[1:-1]
#: Cubic Bezier basis (4, N_CONNECTOR) at the interior parameters of a connector.
_BEZIER = np.stack(
    [(1 - _T) ** 3, 3 * (1 - _T) ** 2 * _T, 3 * (1 - _T) * _T**2, _T**3]
).astype(np.complex128)
_ACC = np.add.accumulate


def deform(
    tpl: Template, z: np.ndarray, hook: np.ndarray | None, exit_: np.ndarray
) -> np.ndarray:
    """Per-stroke offset, scale, rotation, bend and change of length.

    Args:
        z: (K, 7) scaled draws: offset x, offset y (em), log scale, rotation (radians),
            bend (sideways push of the middle, fraction of length), extension at the start
            and at the end (fraction of length; never shortens past half the end segment).
        hook: (K,) strokes whose hook is dropped (its tip pulled back), or None.
        exit_: (K,) exit directions to extend along (without the dropped hooks).
    Returns:
        (M,) complex points.
    """
    P = tpl.z
    if hook is not None:
        P = P.copy()
        P[tpl.ends[hook]] = tpl.hook_tip[hook]
    zt = z.T
    rs = np.exp(zt[2] + 1j * zt[3])
    per = np.empty((3, len(zt[0])), dtype=np.complex128)
    per[0] = rs
    per[1] = tpl.centre * (1.0 - rs) + zt[0] + 1j * zt[1]
    per[2] = zt[4] * tpl.length * tpl.normal
    rep = per.repeat(tpl.counts, axis=1)
    out = rep[0] * P + rep[1] + tpl.bulge * rep[2]
    ext = np.maximum(zt[5:7] * tpl.length, tpl.min_ext)
    out[tpl.starts] -= ext[0] * rs * tpl.entry
    out[tpl.ends] += ext[1] * rs * exit_
    return out


def elastic(P: np.ndarray, waves: np.ndarray, amps: np.ndarray) -> np.ndarray:
    """A smooth random displacement field ``sum_k a_k sin(w_k . p + phi_k)``.

    Args:
        P: (M,) complex points.
        waves: (3, n): rows 0-1 the wave vectors (radians per em), row 2 the phases.
        amps: (n, 2) the x and y amplitude of each wave (em).
    Returns:
        (M,) displaced points.
    """
    xy = P.view(np.float64).reshape(-1, 2)
    d = np.sin(xy @ waves[:2] + waves[2]) @ amps
    return P + d.view(np.complex128).ravel()


def join_strokes(
    P: np.ndarray, tpl: Template, join: np.ndarray, t_a: np.ndarray, t_b: np.ndarray,
    reach: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Insert pen-down connectors after every stroke that ``join`` (K-1,) links to the next.

    A connector is a cubic Bezier from the stroke's end A, leaving along its exit direction
    ``t_a`` (K-1,), to the next start B, arriving along that stroke's entry direction
    ``t_b``; its control arms are ``reach`` (K-1,) times |AB| (larger: rounder, loopier).

    Returns:
        (points (n,) complex, group (n,) intp: the pen-down stroke of each point).
    """
    group = np.zeros(len(tpl.counts), dtype=np.intp)
    if len(join) == 0:
        return P, group.repeat(tpl.counts)
    _ACC(~join, out=group[1:])
    A, B = P[tpl.ends[:-1]], P[tpl.starts[1:]]
    arm = np.abs(B - A) * reach
    ctrl = np.empty((len(A), 4), dtype=np.complex128)
    ctrl[:, 0] = A
    ctrl[:, 1] = A + arm * t_a
    ctrl[:, 2] = B - arm * t_b
    ctrl[:, 3] = B
    out = np.empty(tpl.slots, dtype=np.complex128)
    out[tpl.point_slot] = P
    out[tpl.conn_slot] = ctrl.dot(_BEZIER)
    keep = tpl.is_point.copy()
    keep[tpl.conn_slot] = join[:, None]
    return out[keep], group[tpl.slot_stroke[keep]]


def chaikin(X: np.ndarray, g: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """One round of Chaikin corner cutting within each pen-down group.

    Every segment (X_i, X_i+1) of one group becomes the two points at fractions r and 1-r
    along it; a group's first and last points are kept, so its ends do not move. This is
    what rounds the corners of fast writing (Chaikin 1974; r = 0.25 is the classic rule).

    Args:
        X: (n,) complex points. g: (n,) non-decreasing group. r: cut fraction in (0, 0.5).
    Returns:
        (X' (n',) complex, g' (n',)).
    """
    n = len(X)
    mask = np.empty((n, 4), dtype=bool)
    same = mask[:, 1]
    np.equal(g[1:], g[:-1], out=same[:-1])
    same[-1] = False
    mask[:, 2] = same
    first = mask[:, 0]
    first[0] = True
    np.logical_not(same[:-1], out=first[1:])
    np.greater(~same, first, out=mask[:, 3])  # last and not first
    slots = np.empty((n, 4), dtype=np.complex128)
    slots[:, 0] = X
    slots[:, 3] = X
    step = slots[:, 1]
    np.subtract(X[1:], X[:-1], out=step[:-1])
    step[-1] = 0.0
    slots[:, 2] = X + (1.0 - r) * step
    slots[:, 1] = X + r * step
    return slots[mask], np.broadcast_to(g[:, None], (n, 4))[mask]
