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
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.errors import InkError
from engine.ink import MAX_POINTS, Ink

#: Bumped whenever any function here changes its output; a model package records the version
#: it was trained with and the engine refuses a package of another version.
PREPROCESS_VERSION = 4


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of the preprocessing; a model package stores the ones it was trained with.

    Attributes:
        dist_threshold: a point closer than this to the previous kept point is dropped; a
            fraction of the normalized character's larger side (Zhang et al.: T_dist).
        cos_threshold: a point whose incoming and outgoing directions have a cosine above
            this (it stands nearly in line with its neighbours) is dropped (T_cos).
        drop_fraction: fraction of points removed at random when augmenting (training only;
            the seed used 30%).
        thin_step: before resampling, each stroke's points are averaged over runs of this
            much path, a fraction of the normalized character's larger side (0: no
            thinning, as in version 2).
        resample_step: every stroke is resampled at this arc length, a fraction of the
            normalized character's larger side, before the redundant points go (0: not
            resampled, as in Zhang et al.).
        max_points: a longer sequence is subsampled uniformly to this many points.
        thin_min_units: on ink whose coordinates are all whole numbers (a digitizer's pixel
            grid), the thinning runs span at least this many units of the raw ink (0: the
            fixed ``thin_step`` of version 3). 4.5 px changes only ink under 150 px.

    Each value is checked against the range its meaning allows (``_LIMITS``); ValueError
    names the parameter and the range.
    """

    dist_threshold: float = 0.02
    cos_threshold: float = 0.99
    drop_fraction: float = 0.3
    resample_step: float = 0.06
    max_points: int = 200
    thin_step: float = 0.03
    thin_min_units: float = 4.5

    def __post_init__(self) -> None:
        for name, limit in _LIMITS.items():
            limit.check(name, getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PreprocessConfig:
        """The config a package stores (PreprocessConfig.to_dict), checked value by value.

        Raises:
            ValueError: a missing parameter, one that is not a number, or one outside its
                range (_LIMITS), naming it and the range; never an OverflowError later.
            TypeError: ``d`` is not a dict.
        """
        if not isinstance(d, dict):
            raise TypeError(f"the preprocessing parameters must be a JSON object, got {d!r:.40}")
        # a config of before version 4 has no minimum: its thinning was the fixed thin_step
        d = {"thin_min_units": 0.0, **d}
        values: dict[str, Any] = {}
        for name, limit in _LIMITS.items():
            if name not in d:
                raise ValueError(f"{name} is missing; it must be {limit.allowed()}")
            limit.check(name, d[name])  # before int() or float(): inf, 1e300, "x" are named
            values[name] = int(d[name]) if limit.whole else float(d[name])
        return cls(**values)


@dataclass(frozen=True)
class _Limit:
    """The values a preprocessing parameter may take: low..high (high itself when
    ``closed``), or 0 as well when ``zero_off``; ``whole``: integers only."""

    low: float
    high: float
    closed: bool
    meaning: str
    zero_off: bool = False
    whole: bool = False

    def check(self, name: str, v: Any) -> None:
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        ok = ok and math.isfinite(v) and (not self.whole or float(v).is_integer())
        ok = ok and (
            (self.low <= v <= self.high if self.closed else self.low <= v < self.high)
            or (self.zero_off and v == 0)
        )
        if not ok:
            raise ValueError(f"{name} must be {self.allowed()}, got {v!r:.40}")

    def allowed(self) -> str:
        """``a number in [0, 0.5] (what it is)``"""
        kind = "a whole number" if self.whole else "a number"
        span = f"{kind} in [{_g(self.low)}, {_g(self.high)}{']' if self.closed else ')'}"
        return f"{'0 or ' if self.zero_off else ''}{span} ({self.meaning})"


def _g(x: float) -> str:
    return f"{x:g}".replace("e+0", "e").replace("e+", "e")


#: What each parameter means bounds it (issue 22: a package's config is checked at load, so
#: that no value overflows or allocates without bound later). Fractions are of the normalized
#: character's larger side. A resampling step under 0.01 would make up to 100 samples per
#: character side (0.06 gives 17); at 1e-9 the samples alone were gigabytes.
_LIMITS = {
    "dist_threshold": _Limit(0.0, 0.5, True, "a fraction of the character's larger side"),
    "cos_threshold": _Limit(-1.0, 1.0, True, "a cosine"),
    "drop_fraction": _Limit(0.0, 1.0, False, "a fraction of the points"),
    "resample_step": _Limit(
        0.01,
        1.0,
        False,
        "a fraction of the character's larger side; 0: no resampling",
        zero_off=True,
    ),
    "max_points": _Limit(
        2, MAX_POINTS, True, "points of one sequence, at most an ink's", whole=True
    ),
    "thin_step": _Limit(
        0.0, 1.0, False, "a fraction of the character's larger side; 0: no thinning"
    ),
    "thin_min_units": _Limit(0.0, 1e6, False, "units of the raw ink; 0: no minimum"),
}


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
