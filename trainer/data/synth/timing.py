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
    """How the writers of a batch move the pen.

    Attributes:
        speed: (B,) cruising pen-down speed on straight runs of each character, em/s.
        rate: (B,) digitizer sampling rate, Hz.
        end_speed: speed at the ends of a pen-down movement as a fraction of ``speed``.
        pen_up_ms: time spent with the pen up between two strokes, besides the travel
            (done at the pen-down speed).
    """

    speed: np.ndarray
    rate: np.ndarray
    end_speed: float
    pen_up_ms: float


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
    X: np.ndarray, g: np.ndarray, f: np.ndarray, ch: np.ndarray, m: Motion
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Time the path X along its pen-down groups and sample it at the digitizer's rate.

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
            ch: (n,) the character (index into m's arrays) of each point.
    Returns:
        xy (N,) complex, sid (N,) intp (the group of each sample), t (N,) ms, and the
        character of each group (G,). Every group gives at least two samples.
    """
    n = len(X)
    d = X[1:] - X[:-1]
    ds = np.abs(d)
    same = g[1:] == g[:-1]
    edges = (~same).nonzero()[0]
    f[0] = f[-1] = m.end_speed
    f[edges] = m.end_speed
    f[edges + 1] = m.end_speed
    inv_speed = (2000.0 / m.speed)[ch[1:]]
    dt = ds * same / (f[:-1] + f[1:]) * inv_speed + 1e-7  # ms; +: strictly increasing
    T = np.empty(n)
    T[0] = 0.0
    np.add.accumulate(dt, out=T[1:])
    G = len(edges) + 1
    fi = np.empty(G, dtype=np.intp)
    fi[0] = 0
    fi[1:] = edges + 1
    gc = ch[fi]
    bound = np.empty(G + 1)
    bound[0] = 0.0
    bound[1:-1] = T[edges]
    bound[-1] = T[-1]
    start = bound[:-1].copy()
    start[1:] += 1e-7
    dur = bound[1:] - start
    period = (1000.0 / m.rate)[gc]
    ns = np.ceil(dur / period + 1e-9)  # sample periods per stroke, at least one
    h = dur / ns  # the stroke's own period
    first = np.empty_like(ns)
    first[0] = 0.0
    np.add.accumulate(ns[:-1] + 1.0, out=first[1:])  # index of each stroke's first sample
    per = np.empty((4, G))
    per[0] = start
    per[1] = first
    per[2] = h
    # pen-up pauses before each stroke, accumulated: wall-clock time to add to its samples
    per[3, 0] = 0.0
    np.add.accumulate(m.pen_up_ms + ds[edges] * inv_speed[edges] * 0.5, out=per[3, 1:])
    per[3] += start
    count = ns.astype(np.intp) + 1
    rep = per.repeat(count, axis=1)
    # local sample times (start + k h, k exact) keep every sample inside its own stroke
    kh = (np.arange(rep.shape[1]) - rep[1]) * rep[2]
    xy = np.interp(rep[0] + kh, T, X)
    sid = np.arange(G).repeat(count)
    return xy, sid, rep[3] + kh, gc
