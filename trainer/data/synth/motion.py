"""How a real hand moves between strokes, and how a digitizer records it.

Real writers do not lift the pen where the template's stroke ends. Measured on 7,510
characters by 240 people (``../shared/realism``), 62% of pen-ups end with the pen already
turning towards the next stroke (the synthesizer's templates: 10%), 19% of strokes start
with a lead-in that continues the pen-up jump (5%), and the jumps are shorter (mean 0.26 of
the character's size against 0.40). This module adds those movements to a written character:

- a pen-lift tail: the stroke runs on past its end, leaving along its last direction and
  bending towards the next stroke's start, over a fraction of the gap (a quadratic curve;
  a tail against the stroke's course is the small hook people write there);
- a lead-in: the next stroke starts a little before its template start, on the line of the
  jump, and curves into the stroke.

Both are sampled at the spacing of the stroke they extend and timed inside the pen-up
interval, so timestamps stay non-decreasing. ``digitize`` then records the ink as one
device would: a box of 100-2000 px, optionally dense (1-6 px between samples, as a mouse
moved slowly or a tablet at 200-1000 Hz) and whole pixels, with repeated points.
Each draw comes from the character's own generator, after the synthesizer's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from trainer.data.synth.config import SynthConfig

Sample = tuple[np.ndarray, np.ndarray, np.ndarray]


def _end_direction(p: np.ndarray, reach: float) -> np.ndarray:
    """Unit chord over the last ``reach`` of the polyline p (k, 2), towards its end; 0 if none."""
    q = p[::-1]
    cum = np.cumsum(np.hypot(*np.diff(q, axis=0).T))
    j = min(int(np.searchsorted(cum, reach)), len(q) - 2) + 1 if len(q) > 1 else 0
    v = q[0] - q[j]
    n = math.hypot(v[0], v[1])
    return v / n if n > 0 else np.zeros(2)


def _curve(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, spacing: float) -> np.ndarray:
    """Points of the quadratic Bezier p0 -> p2 (control p1) every ~spacing, p0 excluded."""
    approx = math.hypot(*(p1 - p0)) + math.hypot(*(p2 - p1))
    n = max(2, math.ceil(approx / max(spacing, 1e-6)))
    s = np.arange(1, n + 1)[:, None] / n
    return (1 - s) ** 2 * p0 + 2 * (1 - s) * s * p1 + s**2 * p2


def pen_motion(
    xy: np.ndarray,
    sid: np.ndarray,
    t: np.ndarray,
    rng: np.random.Generator,
    fluency: float,
    config: SynthConfig,
) -> Sample:
    """Add pen-lift tails and lead-ins to one written character.

    Args:
        xy (N, 2), sid (N,), t (N,): the character as ``synthesize`` returns it (size ~1).
        fluency: the writer's 0..1 tendency to move on early (the tail probability scales
            from 0.6 to 1.4 times ``config.tail_prob`` with it).
        config: ``tail_prob``, ``tail_frac_min/max``, ``lead_prob``, ``lead_len_min/max``.
    Returns:
        (xy, sid, t) with the added points.
    """
    cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
    k = len(cut) + 1
    if k < 2 or (config.tail_prob <= 0 and config.lead_prob <= 0):
        return xy, sid, t
    strokes = np.split(xy, cut)
    times = np.split(t, cut)
    u = rng.random((k - 1, 4))
    z = rng.standard_normal((k - 1, 3))
    size = float((xy.max(axis=0) - xy.min(axis=0)).max()) or 1.0
    tail_p = min(1.0, config.tail_prob * (0.6 + 0.8 * fluency))
    for i in range(k - 1):
        a, b = strokes[i], strokes[i + 1]
        t0, t1 = float(times[i][-1]), float(times[i + 1][0])
        gap = b[0] - a[-1]
        g = math.hypot(gap[0], gap[1])
        if g < 0.04 * size:
            continue
        spacing = _spacing(a, b, size)
        span = max(t1 - t0, 0.0)
        d = _end_direction(a, 0.05 * size)
        # mostly strokes that end heading away from the next start get a tail
        heading = float(d @ gap) / g
        if u[i, 0] < (tail_p if heading < -0.3 else 0.15 * tail_p) and len(a) >= 2:
            frac = config.tail_frac_min + (config.tail_frac_max - config.tail_frac_min) * u[i, 1]
            length = frac * g
            normal = np.array([-gap[1], gap[0]]) / g
            end = a[-1] + frac * gap + normal * (0.3 * length * z[i, 0])
            ctrl = a[-1] + d * length * (0.3 + 1.2 * u[i, 2])
            tail = _curve(a[-1], ctrl, end, 2.0 * spacing)  # the pen speeds off
            strokes[i] = np.concatenate([a, tail])
            times[i] = np.concatenate(
                [times[i], t0 + 0.4 * span * np.arange(1, len(tail) + 1) / len(tail)]
            )
            gap = b[0] - strokes[i][-1]
            g = math.hypot(gap[0], gap[1])
        if u[i, 3] < config.lead_prob and g > 0.04 * size:
            unit = gap / g
            ll = min(
                size
                * (
                    config.lead_len_min
                    + (config.lead_len_max - config.lead_len_min) * abs(z[i, 1]) / 2.0
                ),
                0.6 * g,
            )
            start = b[0] - unit * ll
            normal = np.array([-unit[1], unit[0]])
            ctrl = b[0] - unit * ll * 0.4 + normal * (0.2 * ll * z[i, 2])
            lead = _curve(start, ctrl, b[0], 1.5 * spacing)[:-1]
            lead = np.concatenate([start[None], lead])
            strokes[i + 1] = np.concatenate([lead, b])
            n = len(lead)
            times[i + 1] = np.concatenate([t1 - 0.3 * span * (n - np.arange(n)) / n, times[i + 1]])
    counts = [len(s) for s in strokes]
    out_sid = np.repeat(np.arange(k, dtype=np.int32), counts)
    out_t = np.maximum.accumulate(np.concatenate(times))
    return np.concatenate(strokes), out_sid, out_t


def _spacing(a: np.ndarray, b: np.ndarray, size: float) -> float:
    """The median distance between samples of two strokes (the digitizer's spacing)."""
    d = np.concatenate([np.hypot(*np.diff(a, axis=0).T), np.hypot(*np.diff(b, axis=0).T)])
    d = d[d > 0]
    return float(np.median(d)) if len(d) else 0.05 * size


def digitize(
    xy: np.ndarray,
    sid: np.ndarray,
    t: np.ndarray,
    rng: np.random.Generator,
    config: SynthConfig,
) -> Sample:
    """Record the character as a drawn digitizer would (or leave it, 1 - digitizer_prob).

    The device: a box of log-uniform 100-2000 px; with ``dense_prob`` it samples every
    1-6 px along the path (a slow mouse, a fast tablet); with ``integer_prob`` it reports
    whole pixels (consecutive equal points are kept, as pads record them).
    """
    u = rng.random(4)
    if u[0] >= config.digitizer_prob:
        return xy, sid, t
    box = math.exp(math.log(100.0) + (math.log(2000.0) - math.log(100.0)) * u[1])
    lo = xy.min(axis=0)
    size = float((xy.max(axis=0) - lo).max()) or 1.0
    p = (xy - lo) * (box / size)
    if u[2] < config.dense_prob:
        length = float(np.hypot(*np.diff(p, axis=0).T)[sid[1:] == sid[:-1]].sum())
        # within the engine's 4096 points per ink
        p, sid, t = _dense(p, sid, t, max(1.0 + 5.0 * float(rng.random()), length / 3000))
    if u[3] < config.integer_prob:
        p = np.rint(p)
    return p, sid, t


def resample_stroke(p: np.ndarray, step: float) -> np.ndarray:
    """A stroke (k, 3) of x, y, t sampled every ``step`` along its path (its ends kept), t
    interpolated; a stroke shorter than the step comes back as it is."""
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p[:, :2], axis=0).T))])
    if len(p) < 2 or cum[-1] <= step:
        return p.copy()
    pos = np.append(np.arange(0.0, cum[-1], step), cum[-1])
    return np.column_stack([np.interp(pos, cum, p[:, k]) for k in range(3)])


def _dense(p: np.ndarray, sid: np.ndarray, t: np.ndarray, step: float) -> Sample:
    """Every stroke sampled every ``step`` along its path, times interpolated."""
    cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
    parts = [resample_stroke(q, step) for q in np.split(np.column_stack([p, t]), cut)]
    counts = [len(q) for q in parts]
    out = np.concatenate(parts)
    return out[:, :2], np.repeat(sid[np.r_[0, cut]], counts).astype(np.int32), out[:, 2]
