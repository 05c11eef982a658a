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
    points: np.ndarray,
    group: np.ndarray,
    speed: np.ndarray,
    point_char: np.ndarray,
    motion: Motion,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Time the path ``points`` along its pen-down groups and sample it at the digitizer's rate.

    The speed at point i is ``motion.speed * speed[i]``, slowed to ``motion.end_speed`` at the
    two ends of every pen-down group, and varies linearly along each segment. The digitizer's clock
    restarts at every pen-down, so a stroke's first sample is its first point; its last
    sample is its last point, the period within the stroke shortened (by less than one
    period in all) to fit a whole number of periods. All strokes are sampled by one
    interpolation over a pen-down clock; the pen-up pauses (a reaction time plus the
    travel to the next start) are then added to the timestamps.

    Args:
        points: (n,) complex points in em. group: (n,) non-decreasing pen-down group,
            0..G-1 contiguous, every group of at least 2 points. speed: (n,) speed factors
            (changed). point_char: (n,) the character (index into motion's arrays) of each
            point.
    Returns:
        xy (N,) complex, sid (N,) intp (the group of each sample), t (N,) ms, and the
        character of each group (G,). Every group gives at least two samples.
    """
    n = len(points)
    step = points[1:] - points[:-1]
    seg_len = np.abs(step)
    same = group[1:] == group[:-1]
    edges = (~same).nonzero()[0]
    speed[0] = speed[-1] = motion.end_speed
    speed[edges] = motion.end_speed
    speed[edges + 1] = motion.end_speed
    inv_speed = (2000.0 / motion.speed)[point_char[1:]]
    dt = seg_len * same / (speed[:-1] + speed[1:]) * inv_speed + 1e-7  # ms; +: strictly increasing
    clock = np.empty(n)
    clock[0] = 0.0
    np.add.accumulate(dt, out=clock[1:])
    n_groups = len(edges) + 1
    first_point = np.empty(n_groups, dtype=np.intp)
    first_point[0] = 0
    first_point[1:] = edges + 1
    group_char = point_char[first_point]
    bound = np.empty(n_groups + 1)
    bound[0] = 0.0
    bound[1:-1] = clock[edges]
    bound[-1] = clock[-1]
    start = bound[:-1].copy()
    start[1:] += 1e-7
    dur = bound[1:] - start
    period = (1000.0 / motion.rate)[group_char]
    periods = np.ceil(dur / period + 1e-9)  # sample periods per stroke, at least one
    group_period = dur / periods  # the stroke's own period
    first = np.empty_like(periods)
    first[0] = 0.0
    np.add.accumulate(periods[:-1] + 1.0, out=first[1:])  # index of each stroke's first sample
    per = np.empty((4, n_groups))
    per[0] = start
    per[1] = first
    per[2] = group_period
    # pen-up pauses before each stroke, accumulated: wall-clock time to add to its samples
    per[3, 0] = 0.0
    np.add.accumulate(motion.pen_up_ms + seg_len[edges] * inv_speed[edges] * 0.5, out=per[3, 1:])
    per[3] += start
    count = periods.astype(np.intp) + 1
    rep = per.repeat(count, axis=1)
    # local sample times (start + k * period, k exact) keep every sample inside its own stroke
    kh = (np.arange(rep.shape[1]) - rep[1]) * rep[2]
    xy = np.interp(rep[0] + kh, clock, points)
    sid = np.arange(n_groups).repeat(count)
    return xy, sid, rep[3] + kh, group_char
