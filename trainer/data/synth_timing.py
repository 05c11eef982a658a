"""Pen speed along a trajectory and its sampling at a digitizer's rate.

The speed follows two facts of human movement: it falls to a fraction of the cruising speed
at the ends of every pen-down movement (a crude bell-shaped profile, after Flash and Hogan
1985), and it drops in curves as the radius of curvature to the power 1/3 (the two-thirds
power law, Lacquaniti, Terzuolo and Viviani 1983). The
trajectory is then sampled at fixed time steps, so points crowd at stroke ends and corners
and spread out on fast straight runs, as on a real digitizer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Motion(NamedTuple):
    """How one writer moves the pen while writing one character.

    Attributes:
        speed: cruising pen-down speed on straight runs, em/s.
        rate: digitizer sampling rate, Hz.
        end_speed: speed at the ends of a pen-down movement as a fraction of ``speed``.
        pen_up_ms: time spent with the pen up between two strokes, besides the travel.
        up_speed: speed of the pen-up travel to the next stroke, em/s.
    """

    speed: float
    rate: float
    end_speed: float
    pen_up_ms: float
    up_speed: float


def corner_speed(X: np.ndarray, corner_radius: float, min_speed: float) -> np.ndarray:
    """Pen speed factor at each point of the path X (n,) complex, 0..1 (the first and last 1).

    Two-thirds power law: v ~ R^(1/3) up to the cruising speed at R >= ``corner_radius``,
    never below ``min_speed``; R = mean length of the two segments / turn angle, with
    |e1 - e2| = 2 sin(angle / 2) of the unit directions standing in for the angle.
    """
    d = X[1:] - X[:-1]
    ds = np.abs(d)
    e = d / (ds + 1e-12)
    r = (ds[:-1] + ds[1:]) / ((np.abs(e[1:] - e[:-1]) + 1e-9) * (2.0 * corner_radius))
    f = np.ones(len(X))
    f[1:-1] = np.clip(np.cbrt(r), min_speed, 1.0)
    return f


def sample_trajectory(
    X: np.ndarray, g: np.ndarray, f: np.ndarray, m: Motion
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time the path X along its pen-down groups and sample it at ``m.rate``.

    The speed at point i is ``m.speed * f[i]``, slowed to ``m.end_speed`` at the two ends
    of every pen-down group, and varies linearly along each segment. The digitizer's clock
    restarts at every pen-down, so a stroke's first sample is its first point; its last
    sample is its last point, the period within the stroke shortened (by less than one
    period in all) to fit a whole number of periods. All strokes are sampled by one
    interpolation over a pen-down clock; the pen-up pauses (a reaction time plus the
    travel to the next start) are then added to the timestamps.

    Args:
        X: (n,) complex points in em. g: (n,) non-decreasing pen-down group, 0..G-1
            contiguous, every group of at least 2 points. f: (n,) speed factors (changed).
    Returns:
        xy (N,) complex, sid (N,) int32 (the group of each sample), t (N,) ms from the
        first sample. Every group gives at least two samples.
    """
    n = len(X)
    d = X[1:] - X[:-1]
    ds = np.abs(d)
    same = g[1:] == g[:-1]
    edges = (~same).nonzero()[0]
    f[0] = f[-1] = m.end_speed
    f[edges] = m.end_speed
    f[edges + 1] = m.end_speed
    dt = ds * same / (f[:-1] + f[1:]) * (2000.0 / m.speed) + 1e-7  # ms; +: increasing
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
    period = 1000.0 / m.rate
    ns = np.ceil(dur * (1.0 / period) + 1e-9)  # sample periods per stroke, at least one
    h = dur / ns  # the stroke's own period
    first = np.empty_like(ns)
    first[0] = 0.0
    np.add.accumulate(ns[:-1] + 1.0, out=first[1:])  # index of each stroke's first sample
    per = np.empty((3, len(ns)))
    per[0] = start - first * h
    per[1] = h
    # pen-up pauses before each stroke, accumulated: wall-clock time to add to its samples
    per[2, 0] = 0.0
    np.add.accumulate(m.pen_up_ms + ds[edges] * (1000.0 / m.up_speed), out=per[2, 1:])
    per[2] += per[0]
    count = ns.astype(np.intp) + 1
    rep = per.repeat(count, axis=1)
    i = np.arange(rep.shape[1])
    xy = np.interp(rep[0] + i * rep[1], T, X)
    sid = np.arange(len(ns), dtype=np.int32).repeat(count)
    return xy, sid, rep[2] + i * rep[1]
