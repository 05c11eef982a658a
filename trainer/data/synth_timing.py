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

    The digitizer's clock restarts at every pen-down, so a stroke's first sample is its
    first point; its last sample is its last point, the sample period within the stroke
    shortened (by less than one period in all) to fit a whole number of periods. All
    strokes are sampled by one interpolation over a pen-down clock, then the pen-up pauses
    (a reaction time plus the travel to the next start) are added to the timestamps.

    Args:
        X: (n,) complex points x + 1j*y in em. g: (n,) non-decreasing pen-down group,
            0..G-1 contiguous, every group of at least 2 points.
    Returns:
        xy (N,) complex, sid (N,) int32 (the group of each sample), t (N,) seconds from the
        first sample. Every group gives at least two samples.
    """
    n = len(X)
    d = X[1:] - X[:-1]
    ds = np.abs(d)
    same = g[1:] == g[:-1]
    edges = (~same).nonzero()[0]
    # two-thirds power law: v ~ R^(1/3) with R = mean of the two segments / turn angle, where
    # |e1 - e2| = 2 sin(angle / 2) of the unit directions stands in for the angle
    f = np.empty(n)
    e = d / (ds + 1e-12)
    r = (ds[:-1] + ds[1:]) / ((np.abs(e[1:] - e[:-1]) + 1e-9) * (2.0 * m.corner_radius))
    f[1:-1] = np.exp(np.log(r) * (1.0 / 3.0))
    np.clip(f, m.min_speed, 1.0, out=f)
    f[0] = f[-1] = m.end_speed
    f[edges] = m.end_speed
    f[edges + 1] = m.end_speed
    dt = ds * same / (f[:-1] + f[1:]) * (2.0 / m.speed) + 1e-7  # +: strictly increasing
    T = np.empty(n)
    T[0] = 0.0
    np.add.accumulate(dt, out=T[1:])
    bound = np.empty(len(edges) + 2)
    bound[0] = 0.0
    bound[1:-1] = T[edges]
    bound[-1] = T[-1]
    start = bound[:-1].copy()
    start[1:] += 1e-7
    dur = bound[1:] - start
    ns = np.ceil(dur * m.rate + 1e-9)  # sample periods per stroke, at least one
    h = dur / ns  # the stroke's sample period
    first = np.empty_like(ns)
    first[0] = 0.0
    np.add.accumulate(ns[:-1] + 1.0, out=first[1:])  # index of each stroke's first sample
    # pen-up pause before each stroke, accumulated: clock time to add to its samples
    up = np.empty_like(ns)
    up[0] = 0.0
    np.add.accumulate(m.pen_up_ms / 1000.0 + ds[edges] * (1.0 / m.up_speed), out=up[1:])
    per = np.empty((3, len(ns)))
    per[0] = start - first * h
    per[1] = h
    per[2] = per[0] + up
    count = ns.astype(np.intp) + 1
    rep = per.repeat(count, axis=1)
    i = np.arange(rep.shape[1])
    xy = np.interp(rep[0] + i * rep[1], T, X)
    sid = np.arange(len(ns), dtype=np.int32).repeat(count)
    return xy, sid, rep[2] + i * rep[1]
