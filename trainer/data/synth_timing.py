"""Pen speed along a trajectory and its sampling at a digitizer's rate.

The speed follows two facts of human movement: it rises from and falls to near zero at the
ends of every pen-down movement (the bell-shaped profile of Flash and Hogan 1985, here a
square-root ramp over a short distance), and it drops in curves as the radius of curvature
to the power 1/3 (the two-thirds power law, Lacquaniti, Terzuolo and Viviani 1983). The
trajectory is then sampled at fixed time steps, so points crowd at stroke ends and corners
and spread out on fast straight runs, as on a real digitizer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Motion:
    """How one writer moves the pen (all per-character constants).

    Attributes:
        speed: cruising pen-down speed on straight runs, em/s.
        rate: digitizer sampling rate, Hz.
        ramp: distance over which the speed rises from / falls to its end value, em.
        end_speed: speed at the ends of a pen-down movement as a fraction of ``speed``.
        corner_radius: radius of curvature (em) at and above which the speed is not slowed.
        min_speed: the slowest a corner may make the pen, fraction of ``speed``.
        pen_up_ms: time spent with the pen up between two strokes, besides the travel.
        up_speed: speed of the pen-up travel to the next stroke, em/s.
    """

    speed: float
    rate: float
    ramp: float = 0.06
    end_speed: float = 0.25
    corner_radius: float = 0.12
    min_speed: float = 0.3
    pen_up_ms: float = 60.0
    up_speed: float = 5.0


def sample_trajectory(
    X: np.ndarray, g: np.ndarray, m: Motion
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time the polyline X along its groups and sample it at ``m.rate``.

    Args:
        X: (n, 2) points in em. g: (n,) non-decreasing pen-down group, 0..G-1 contiguous.
    Returns:
        xy (N, 2), sid (N,) int32 (the group of each sample), t (N,) ms from the first sample.
        Every group gives at least one sample and keeps its first and last point.
    """
    n = len(X)
    d = np.diff(X, axis=0)
    ds = np.hypot(d[:, 0], d[:, 1])
    same = g[1:] == g[:-1]
    ink = np.where(same, ds, 0.0)
    cum = np.concatenate(([0.0], np.cumsum(ink)))
    first = np.ones(n, dtype=bool)
    first[1:] = ~same
    last = np.ones(n, dtype=bool)
    last[:-1] = ~same
    fi, la = np.flatnonzero(first), np.flatnonzero(last)
    counts = la - fi + 1
    from_start = cum - np.repeat(cum[fi], counts)
    to_end = np.repeat(cum[la], counts) - cum
    near = np.minimum(from_start, to_end) / m.ramp
    f = m.end_speed + (1.0 - m.end_speed) * np.sqrt(np.minimum(near, 1.0))
    # two-thirds power law at interior vertices: v ~ R^(1/3), R = mean segment / turn angle
    if n > 2:
        a, b = d[:-1], d[1:]
        cross = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
        dot = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]
        turn = np.arctan2(cross, dot)
        radius = 0.5 * (ds[:-1] + ds[1:]) / np.maximum(turn, 1e-6)
        slow = np.clip(np.cbrt(radius / m.corner_radius), m.min_speed, 1.0)
        f[1:-1] *= np.where(same[:-1] & same[1:], slow, 1.0)
    v = m.speed * f
    dt = np.where(same, ink / (0.5 * (v[:-1] + v[1:])), m.pen_up_ms / 1000.0 + ds / m.up_speed)
    T = np.concatenate(([0.0], np.cumsum(dt + 1e-7)))  # strictly increasing for interp
    t0, t1 = T[fi], T[la]
    step = 1.0 / m.rate
    ns = np.ceil((t1 - t0) * m.rate - 1e-9).astype(np.intp) + 1
    ns[counts == 1] = 1
    offs = np.cumsum(ns) - ns
    k = np.arange(int(ns.sum())) - np.repeat(offs, ns)
    ts = np.minimum(np.repeat(t0, ns) + k * step, np.repeat(t1, ns))
    xy = np.empty((len(ts), 2))
    xy[:, 0] = np.interp(ts, T, X[:, 0])
    xy[:, 1] = np.interp(ts, T, X[:, 1])
    sid = np.repeat(np.arange(len(ns), dtype=np.int32), ns)
    return xy, sid, ts * 1000.0
