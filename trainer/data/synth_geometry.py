"""Flat-array geometry of the synthesizer: stroke deformation, connectors, corner rounding.

A character travels as ``P`` (M, 2) float64 points of all its strokes in writing order, with
``starts`` / ``ends`` (K,) the index of each stroke's first and last point and ``sid`` (M,)
the stroke of each point. Working on the concatenation, not stroke by stroke, keeps a
character at a few dozen numpy calls (the synthesizer must stay under ~0.25 ms).
"""

from __future__ import annotations

import numpy as np

#: Cubic Bezier basis at the interior parameters of a connector, (3, 4).
_CONNECTOR_T = np.array([0.25, 0.5, 0.75])
_BEZIER = np.stack(
    [
        (1 - _CONNECTOR_T) ** 3,
        3 * (1 - _CONNECTOR_T) ** 2 * _CONNECTOR_T,
        3 * (1 - _CONNECTOR_T) * _CONNECTOR_T**2,
        _CONNECTOR_T**3,
    ],
    axis=1,
)
N_CONNECTOR = len(_CONNECTOR_T)


def unit(v: np.ndarray) -> np.ndarray:
    """Rows of ``v`` (n, 2) scaled to length 1 (a zero row stays zero)."""
    n = np.hypot(v[:, 0], v[:, 1])
    return v / np.maximum(n, 1e-9)[:, None]


def stroke_geometry(
    P: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arc length and end directions of every stroke.

    Every stroke has at least 2 points. Returns:
        arc (M,) arc length from the stroke's start, length (K,) each stroke's length,
        entry (K, 2) unit direction of the first segment, exit (K, 2) of the last one.
    """
    d = np.diff(P, axis=0)
    seg = np.hypot(d[:, 0], d[:, 1])
    seg[ends[:-1]] = 0.0  # the jump from one stroke to the next is no ink
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    base = cum[starts]
    length = cum[ends] - base
    arc = cum - np.repeat(base, ends - starts + 1)
    return arc, length, unit(d[starts]), unit(d[ends - 1])


def deform_strokes(
    P: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    arc: np.ndarray,
    length: np.ndarray,
    entry: np.ndarray,
    exit_: np.ndarray,
    z: np.ndarray,
    sd: np.ndarray,
) -> np.ndarray:
    """Per-stroke offset, scale, rotation, bend and change of length.

    Args:
        z: (K, 7) standard normal draws; columns offset x, offset y, log scale, rotation,
            bend, extension at the start, extension at the end.
        sd: (7,) standard deviation of each column (em, log, radians, fraction of length).
    Returns:
        (M, 2) new points; P is not changed.
    """
    counts = ends - starts + 1
    a = z * sd
    centre = 0.5 * (P[starts] + P[ends])
    scale = np.exp(a[:, 2])
    c, s = np.cos(a[:, 3]) * scale, np.sin(a[:, 3]) * scale
    # bend: push the middle of the stroke sideways, 4u(1-u) of bend * length
    chord = P[ends] - P[starts]
    normal = unit(np.stack([-chord[:, 1], chord[:, 0]], axis=1))
    u = arc / np.repeat(np.maximum(length, 1e-9), counts)
    bend = (a[:, 4] * length)[:, None] * normal
    per = np.concatenate([centre, c[:, None], s[:, None], a[:, :2] + centre, bend], axis=1)
    pp = np.repeat(per, counts, axis=0)
    rel = P - pp[:, 0:2]
    out = np.empty_like(P)
    out[:, 0] = pp[:, 2] * rel[:, 0] - pp[:, 3] * rel[:, 1]
    out[:, 1] = pp[:, 3] * rel[:, 0] + pp[:, 2] * rel[:, 1]
    out += pp[:, 4:6] + (4.0 * u * (1.0 - u))[:, None] * pp[:, 6:8]
    # lengthen or shorten at both ends along the end directions, never past half a segment
    first_seg = np.hypot(*(P[starts + 1] - P[starts]).T)
    last_seg = np.hypot(*(P[ends] - P[ends - 1]).T)
    ext0 = np.maximum(a[:, 5] * length, -0.5 * first_seg)
    ext1 = np.maximum(a[:, 6] * length, -0.5 * last_seg)
    out[starts] -= (ext0 * scale)[:, None] * entry
    out[ends] += (ext1 * scale)[:, None] * exit_
    return out


def elastic(P: np.ndarray, waves: np.ndarray, amp: float) -> np.ndarray:
    """A smooth random displacement field: ``P + amp * sum_k a_k sin(w_k . P + phi_k)``.

    Args:
        waves: (5, n) for n waves: rows 0-1 the wave vectors (radians per em), row 2 the
            phases, rows 3-4 the x and y amplitudes (unit variance). amp: em.
    Returns:
        (M, 2) displaced points.
    """
    phase = P @ waves[0:2] + waves[2]
    return P + amp * (np.sin(phase) @ waves[3:5].T)


def connectors(
    A: np.ndarray, B: np.ndarray, t_a: np.ndarray, t_b: np.ndarray, reach: np.ndarray
) -> np.ndarray:
    """Pen-down paths that join stroke ends A to the next strokes' starts B.

    Each is a cubic Bezier leaving A along the stroke's exit direction ``t_a`` and arriving
    at B along the next stroke's entry direction ``t_b``; ``reach`` (G,) scales the control
    arms as a fraction of |AB| (larger: rounder, loopier joins).

    Returns:
        (G, N_CONNECTOR, 2) interior points of each connector.
    """
    d = np.hypot(*(B - A).T)[:, None] * reach[:, None]
    ctrl = np.stack([A, A + d * t_a, B - d * t_b, B], axis=1)  # (G, 4, 2)
    return np.matmul(_BEZIER, ctrl)


def chaikin(X: np.ndarray, g: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """One round of Chaikin corner cutting within each pen-down group.

    Every segment (X_i, X_i+1) of one group becomes the two points at fractions r and 1-r
    along it; a group's first and last points are kept, so its ends do not move. This is
    what rounds the corners of fast writing (Chaikin 1974; r = 0.25 is the classic rule).

    Args:
        X: (n, 2) points. g: (n,) non-decreasing group index. r: cut fraction in (0, 0.5).
    Returns:
        (X' (n', 2), g' (n',)).
    """
    n = len(X)
    same = np.zeros(n, dtype=bool)
    same[:-1] = g[1:] == g[:-1]
    first = np.ones(n, dtype=bool)
    first[1:] = ~same[:-1]
    last = ~same
    nxt = np.empty_like(X)
    nxt[:-1] = X[1:]
    nxt[-1] = X[-1]
    slots = np.empty((n, 4, 2))
    slots[:, 0] = X
    slots[:, 1] = (1.0 - r) * X + r * nxt
    slots[:, 2] = r * X + (1.0 - r) * nxt
    slots[:, 3] = X
    mask = np.stack([first, same, same, last & ~first], axis=1)
    return slots[mask], np.repeat(g, mask.sum(axis=1))
