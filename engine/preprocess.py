"""The preprocessing of Zhang et al. (TPAMI 2017), shared by training and inference.

Zhang, Yin, Liu, "Online and offline handwritten Chinese character recognition: a
comprehensive study and new benchmark", Pattern Recognition 61 / TPAMI 2017, Sec. 3.1:
moment normalization over line segments, removal of redundant points, a 6-d feature per
point, and (training only) random removal of points.

Between normalization and the removal of redundant points, each stroke is thinned
(``thin``: its points averaged over runs of path, at least ``thin_min_units`` grid steps on
ink of whole numbers, ``thin_step_for``) and resampled at an even arc length
(``resample``), so the model sees the same sequence whatever the digitizer's rate,
resolution or jitter. Sequences are capped at ``max_points`` here, for training and serving
alike. docs/preprocessing.md tells why, version by version, with the figures.

Every function is pure: it takes numpy arrays, returns new ones and never writes to its
inputs. Points travel as ``xy`` (N, 2) float64 and ``sid`` (N,) int32, the stroke index of
each point, non-decreasing. The trainer imports these very functions; there is no other copy.
"""

from __future__ import annotations

import math

import numpy as np

from engine.errors import InkError
from engine.ink import Ink
from engine.preprocess_config import PreprocessConfig

__all__ = [
    "PREPROCESS_VERSION",
    "PreprocessConfig",
    "drop_points",
    "features",
    "ink_arrays",
    "normalize",
    "preprocess",
    "preprocess_arrays",
    "remove_redundant",
    "resample",
    "thin",
    "thin_step_for",
]

#: Bumped whenever any function here changes its output; a model package records the version
#: it was trained with and the engine refuses a package of another version.
PREPROCESS_VERSION = 4


def ink_arrays(ink: Ink) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate an ink's strokes: returns xy (N, 2) float64 and sid (N,) int32."""
    strokes = ink.strokes
    xy = np.concatenate(strokes, axis=0)[:, :2].astype(np.float64)
    sid = np.repeat(np.arange(len(strokes), dtype=np.int32), [len(s) for s in strokes])
    return xy, sid


def normalize(xy: np.ndarray, sid: np.ndarray) -> np.ndarray:
    """Moment normalization over line segments (Zhang et al. 2017, Eq. 1-4).

    Each segment l between consecutive points of one stroke weighs by its length L(l):
    mu_x = sum(L * (x1 + x2) / 2) / sum(L), and
    delta_y^2 = sum(L/3 * ((y1-mu_y)^2 + (y2-mu_y)^2 + (y1-mu_y)(y2-mu_y))) / sum(L).
    Output is ((x - mu_x) / delta, (y - mu_y) / delta). One scale for both axes keeps the
    aspect ratio, which tells apart characters such as 日 and 曰. The paper uses delta_y;
    we use max(delta_y, delta_x / 2) so a flat character (一) is not blown up by a near-zero
    delta_y. Ink with no segment of length > 0 (dots only) falls back to point moments.

    Args:
        xy: (N, 2) points, y down. sid: (N,) stroke index per point.
    Returns:
        (N, 2) float64 normalized points.
    """
    xy = np.asarray(xy, dtype=np.float64)
    same = sid[1:] == sid[:-1]
    p1, p2 = xy[:-1][same], xy[1:][same]
    d = p2 - p1
    seg = np.hypot(d[:, 0], d[:, 1])
    total = float(seg.sum())
    if total > 1e-9:
        # the sums as dot products: ~30% faster on 100 points; equal to 1e-13
        mu = seg @ (p1 + p2) / (2 * total)
        a, b = p1 - mu, p2 - mu
        var = seg @ (a * a + b * b + a * b) / (3 * total)
    else:
        mu = xy.mean(axis=0)
        var = ((xy - mu) ** 2).mean(axis=0)
    dx, dy = math.sqrt(max(var[0], 0.0)), math.sqrt(max(var[1], 0.0))
    delta = max(dy, dx / 2)
    if delta < 1e-9:
        delta = 1.0  # a single point, or all points equal: only centre it
    out: np.ndarray = (xy - mu) / delta
    return out


def thin(xy: np.ndarray, sid: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Each stroke's points averaged over runs of ``step * max(width, height)`` of path
    (preprocessing version 3).

    A digitizer's pixel-scale jitter, whole-pixel staircases and repeated points zig-zag
    around the path and lengthen it; resampled as recorded, a 1-px pad ink with +-1 px jitter
    was read 12-14 points worse than the same ink without it (docs/preprocessing.md). Along each
    stroke the points are cut into runs by their path length from the stroke's start, one run
    per ``step``, and every run is replaced by the mean of its points: the zig-zag averages
    out while the path stays (a run is far shorter than the resampling step). Every stroke
    keeps its first and last point as they are. Sparse ink, whose points lie at least a step
    apart, comes back unchanged. Vectorized: no loop over points, however dense the ink.

    Args:
        xy: (N, 2) normalized points. sid: (N,) non-decreasing stroke index. step >= 0.
    Returns:
        (xy (M, 2), sid (M,)) with M <= N.
    """
    n = len(xy)
    if n <= 2 or step <= 0:
        return xy.copy(), sid.copy()
    h = step * float((xy.max(axis=0) - xy.min(axis=0)).max())
    seg = np.hypot(*np.diff(xy, axis=0).T)
    same = sid[1:] == sid[:-1]
    if h <= 0 or not np.any(same & (seg < h)):
        return xy.copy(), sid.copy()
    seg[~same] = 0.0
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    # (np.concatenate, not np.r_: the same arrays at a fraction of the call's cost)
    first = np.concatenate(([True], ~same))
    last = np.concatenate((~same, [True]))
    # path length from the stroke's start, in steps
    run = np.floor((cum - np.maximum.accumulate(np.where(first, cum, 0.0))) / h)
    starts = first | last
    starts[1:] |= (run[1:] != run[:-1]) | first[:-1] | last[:-1]
    at = np.flatnonzero(starts)
    counts = np.diff(np.append(at, n))
    out = np.add.reduceat(xy, at, axis=0) / counts[:, None]
    return out, sid[at]


def thin_step_for(xy: np.ndarray, step: float, min_units: float) -> float:
    """The thinning step for raw points ``xy`` (preprocessing version 4): ``step``, raised to
    ``min_units / max(width, height)`` when every coordinate is a whole number.

    Whole pixels are a staircase around the path, one pixel high; runs of a fixed fraction of
    the character average it over fewer pixels the smaller the box. Measured on the version-3
    model (``bench/preprocess_variants.py``, 1000 held-out writers): a 100 px box was read at
    94.4% against 96.0% as given; with runs of 4.5 px there (0.045) at 95.9%, while a 300 px
    pad (0.03 is 9 px) and float ink were read as before. Float ink keeps ``step``.
    """
    if min_units <= 0 or len(xy) < 2 or not np.array_equal(xy, np.rint(xy)):
        return step
    extent = float((xy.max(axis=0) - xy.min(axis=0)).max())
    return max(step, min_units / extent) if extent > 0 else step


def resample(xy: np.ndarray, sid: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every stroke resampled at an even arc length (preprocessing version 2).

    Points of a stroke are placed every ``step * max(width, height)`` along its polyline,
    from its first point; the last point is kept, so no stroke loses its ends and a dot
    (or a stroke shorter than the step) keeps its first and last point. What a digitizer
    adds (its rate, whole-pixel rounding, repeated points) changes where the samples fall,
    not how many there are or the path they follow.

    Args:
        xy: (N, 2) normalized points. sid: (N,) non-decreasing stroke index. step > 0.
    Returns:
        (xy (M, 2), sid (M,)).
    """
    n = len(xy)
    if n < 2:
        return xy.copy(), sid.copy()
    extent = float((xy.max(axis=0) - xy.min(axis=0)).max())
    if extent <= 0:
        return xy.copy(), sid.copy()
    h = step * extent
    seg = np.hypot(*np.diff(xy, axis=0).T)
    pen_up = sid[1:] != sid[:-1]
    seg[pen_up] = 0.0  # no length across a pen-up
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    first = np.concatenate(([0], np.flatnonzero(pen_up) + 1))
    last = np.append(first[1:] - 1, n - 1)
    start, length = cum[first], cum[last] - cum[first]
    # samples of stroke k at start + j h for j < length / h (j = 0 included), then its end
    count = np.floor(length / h * (1 - 1e-9)).astype(np.intp) + 1
    strokes = np.arange(len(first))
    k = np.repeat(strokes, count)
    below = np.cumsum(count)  # samples of the strokes up to and including each
    sample = np.arange(len(k))
    j = sample - np.repeat(below - count, count)
    pos = start[k] + j * h
    # along the whole ink's cumulative length; a stroke's samples stay inside its own span
    idx = np.clip(np.searchsorted(cum, pos, side="right") - 1, 0, n - 2)
    idx = np.minimum(np.maximum(idx, first[k]), np.maximum(last[k] - 1, first[k]))
    nxt = np.minimum(idx + 1, last[k])
    span = cum[nxt] - cum[idx]
    w = np.where(span > 0, (pos - cum[idx]) / np.where(span > 0, span, 1.0), 0.0)
    pts = xy[idx] + np.clip(w, 0.0, 1.0)[:, None] * (xy[nxt] - xy[idx])
    # every stroke's end point after its samples: stroke k's samples, then its end, ...
    at_sample, at_end = sample + k, below + strokes
    out = np.empty((len(k) + len(first), 2))
    out[at_sample], out[at_end] = pts, xy[last]
    s = np.empty(len(out), dtype=sid.dtype)
    s[at_sample], s[at_end] = sid[first][k], sid[last]
    # a stroke of one point (or with no length) keeps that point once
    keep = np.ones(len(out), dtype=bool)
    keep[1:] = (s[1:] != s[:-1]) | np.any(out[1:] != out[:-1], axis=1)
    return out[keep], s[keep]


def remove_redundant(
    xy: np.ndarray, sid: np.ndarray, dist_threshold: float = 0.02, cos_threshold: float = 0.99
) -> tuple[np.ndarray, np.ndarray]:
    """Drop redundant points (Zhang et al. 2017, Sec. 3.1).

    Walking each stroke in order, a point is dropped when (a) it lies closer than
    ``dist_threshold * max(width, height)`` to the previous kept point, or (b) the cosine
    between (kept -> point) and (point -> next) exceeds ``cos_threshold``. Comparing with the
    previous *kept* point keeps slow curves from collapsing into chords. The first and last
    point of every stroke are always kept, so no stroke vanishes.

    Args:
        xy: (N, 2) normalized points. sid: (N,) stroke index per point.
    Returns:
        (xy (M, 2), sid (M,)) with M <= N.
    """
    n = len(xy)
    if n <= 2:
        return xy.copy(), sid.copy()
    extent = float((xy.max(axis=0) - xy.min(axis=0)).max())
    min_d2 = (dist_threshold * extent) ** 2
    xs, ys = xy[:, 0].tolist(), xy[:, 1].tolist()
    breaks = (np.flatnonzero(sid[1:] != sid[:-1]) + 1).tolist()
    keep: list[int] = []
    append, sqrt = keep.append, math.sqrt
    # plain floats in a per-stroke loop: each decision depends on the last kept point
    for start, end in zip([0, *breaks], [*breaks, n], strict=True):
        append(start)
        last = end - 1
        if last == start:
            continue
        kx, ky = xs[start], ys[start]
        for i in range(start + 1, last):
            x, y = xs[i], ys[i]
            ax, ay = x - kx, y - ky
            a2 = ax * ax + ay * ay
            if a2 < min_d2:
                continue
            bx, by = xs[i + 1] - x, ys[i + 1] - y
            b2 = bx * bx + by * by
            if b2 > 0 and (ax * bx + ay * by) > cos_threshold * sqrt(a2 * b2):
                continue
            append(i)
            kx, ky = x, y
        append(last)
    idx = np.asarray(keep, dtype=np.intp)
    return xy[idx], sid[idx]


def drop_points(
    xy: np.ndarray, sid: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Training augmentation of Zhang et al. 2017: remove a random ``fraction`` of the points.

    A stroke that would lose every point keeps one at random, so the pen-up structure (and a
    dot) survives. Deterministic for a given generator state.

    Returns:
        (xy (M, 2), sid (M,)), M >= number of strokes.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    n = len(xy)
    keep = rng.random(n) >= fraction
    # every stroke keeps at least one point
    present = np.zeros(int(sid.max()) + 1 if n else 0, dtype=bool)
    present[sid[keep]] = True
    for s in np.nonzero(~present)[0]:
        members = np.nonzero(sid == s)[0]
        if len(members):
            keep[members[rng.integers(len(members))]] = True
    return xy[keep], sid[keep]


def features(xy: np.ndarray, sid: np.ndarray) -> np.ndarray:
    """The 6-d point features of Zhang et al. 2017 (Eq. 5).

    For point i: [x_i, y_i, x_{i+1} - x_i, y_{i+1} - y_i, I(s_i = s_{i+1}), I(s_i != s_{i+1})],
    i.e. position, the move to the next point, pen-down (next point in the same stroke) and
    pen-up (the pen lifts after this point). The last point has a zero move and pen-up.

    Returns:
        (N, 6) float32.
    """
    n = len(xy)
    out = np.zeros((n, 6), dtype=np.float32)
    out[:, :2] = xy
    if n > 1:
        out[:-1, 2:4] = xy[1:] - xy[:-1]
    down = np.zeros(n, dtype=bool)
    down[:-1] = sid[1:] == sid[:-1]
    out[:, 4] = down
    out[:, 5] = ~down
    return out


def preprocess_arrays(
    xy: np.ndarray,
    sid: np.ndarray,
    config: PreprocessConfig = PreprocessConfig(),
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """normalize -> thin (at ``thin_step_for``) -> resample -> remove_redundant -> (drop_points
    when rng is given) -> cap at max_points -> features.

    Args:
        xy: (N, 2) raw points, y down, N >= 1. sid: (N,) non-decreasing stroke index.
        rng: when given, applies the training augmentation (config.drop_fraction).
    Returns:
        (T, 6) float32 features.
    """
    if len(xy) == 0:
        raise InkError("ink has no points")
    step = thin_step_for(xy, config.thin_step, config.thin_min_units)
    pts, s = normalize(xy, sid), sid
    if step > 0:
        pts, s = thin(pts, s, step)
    if config.resample_step > 0:
        pts, s = resample(pts, s, config.resample_step)
    pts, s = remove_redundant(pts, s, config.dist_threshold, config.cos_threshold)
    if rng is not None and config.drop_fraction > 0:
        pts, s = drop_points(pts, s, config.drop_fraction, rng)
    if len(pts) > config.max_points:
        idx = np.round(np.linspace(0, len(pts) - 1, config.max_points)).astype(np.intp)
        pts, s = pts[idx], s[idx]
    return features(pts, s)


def preprocess(
    ink: Ink, config: PreprocessConfig = PreprocessConfig(), rng: np.random.Generator | None = None
) -> np.ndarray:
    """Features of one validated Ink: (T, 6) float32. See preprocess_arrays."""
    xy, sid = ink_arrays(ink)
    return preprocess_arrays(xy, sid, config, rng)
