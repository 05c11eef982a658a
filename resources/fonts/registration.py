"""Registration of stroke medians onto a glyph bitmap: the fitting half of regenerate.py.

Steps 3-5 of ``regenerate.py``'s docstring: a cost field on the glyph's ink (``Field``), one
affine map for the whole character then one per stroke, fitted by Levenberg-Marquardt
(``lm_fit``, ``fit_char``), a snap towards the ink's centre, and the acceptance of a fit
(``reasons``, ``accept``). Works on pixel arrays (numpy, scipy, Pillow for rasterizing the
fitted strokes); no fonts, files or command line.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

K = 12  # points per stroke during the fit (output: fewer for short strokes, see out_points)
SIGMA_T = 10.0  # px: per-stroke translation prior
SIGMA_M = 0.15  # per-stroke linear part prior (I + M)
GLOBAL_SIGMA_T = 30.0
GLOBAL_SIGMA_M = 0.2
BOX_SCALE = (0.8, 1.25)
# px (beyond half a stroke width): the field is capped there, so ink farther away neither
# pulls nor pushes
F_MAX = 5.0
SNAP = 0.5

# Acceptance (pixels of the glyph bitmap, regenerate.PX per em; 1 px = 8 median units)
MAX_MEAN_DIST = 0.5  # mean distance of all points to the ink
MAX_OFF_FRAC = 0.34  # per stroke: fraction of points more than OFF_PX off the ink
OFF_PX = 2.0
MIN_COVER = 0.75  # fraction of the glyph's ink within reach of the fitted strokes
COLLAPSE_PX = 2.0  # two strokes whose fits lie within this of each other (mean, both ways) ...
APART_PX = 5.0  # ... but were at least this far apart as medians: fitted onto the same ink
LENGTH_RATIO = (0.7, 1.45)  # every stroke's fitted length / its median's (strokes >= 6 px)

# ----------------------------------------------------------------------------- fitting


def bbox(ink: np.ndarray):
    ys, xs = np.nonzero(ink)
    return np.array([xs.min(), ys.min()], float), np.array([xs.max() + 1, ys.max() + 1], float)


def resample(p: np.ndarray, k: int) -> np.ndarray:
    p = np.asarray(p, np.float64)
    if len(p) == 1:
        p = np.repeat(p, 2, 0)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 1e-9:
        return np.repeat(p[:1], k, 0)
    t = np.linspace(0, s[-1], k)
    return np.stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])], 1)


class Field:
    """Cost field of one glyph bitmap and its gradient, sampled bilinearly at (x, y)."""

    def __init__(self, ink: np.ndarray) -> None:
        self.d_out = ndimage.distance_transform_edt(~ink)
        d_in = ndimage.distance_transform_edt(ink)
        ridge = ink & (d_in >= ndimage.maximum_filter(d_in, 3)) & (d_in > 0)
        self.half_width = float(np.median(d_in[ridge])) if ridge.any() else 2.0
        f = self.d_out + np.maximum(0.0, self.half_width - d_in)
        f = ndimage.gaussian_filter(np.minimum(f, self.half_width + F_MAX), 0.8)
        self.f = f
        self.gy, self.gx = np.gradient(f)
        self.ink = ink

    def sample(self, arr: np.ndarray, p: np.ndarray) -> np.ndarray:
        sh = p.shape[:-1]
        q = p.reshape(-1, 2)
        # pixel centres at integer + 0.5
        v = ndimage.map_coordinates(arr, [q[:, 1] - 0.5, q[:, 0] - 0.5], order=1, mode="nearest")
        return v.reshape(sh)


def apply(theta: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
    """theta (S,6) = m00 m01 m10 m11 tx ty; d (S,K,2) offsets from the centre c (S,1,2)."""
    m = theta[:, :4].reshape(-1, 2, 2) + np.eye(2)
    return c + np.einsum("sij,skj->ski", m, d) + theta[:, None, 4:]


def lm_fit(
    field: Field, pts: np.ndarray, sig_t: float, sig_m: float, iters: int = 20
) -> np.ndarray:
    """Per-group affine fit. pts (S,K,2) in pixels -> fitted (S,K,2)."""
    s_, k_ = pts.shape[:2]
    c = pts.mean(1, keepdims=True)
    d = pts - c
    lam = np.array([1 / sig_m**2] * 4 + [1 / sig_t**2] * 2)
    theta = np.zeros((s_, 6))
    mu = np.full(s_, 1e-2)

    def cost(th):
        q = apply(th, d, c)
        r = field.sample(field.f, q)
        return (r**2).mean(1) + (lam * th**2).sum(1), q, r

    cur, q, r = cost(theta)
    for _ in range(iters):
        gx = field.sample(field.gx, q)
        gy = field.sample(field.gy, q)
        dx, dy = d[..., 0], d[..., 1]
        jac = np.stack([gx * dx, gx * dy, gy * dx, gy * dy, gx, gy], -1)  # (S,K,6)
        h = np.einsum("ski,skj->sij", jac, jac) / k_ + np.eye(6) * lam
        g = np.einsum("ski,sk->si", jac, r) / k_ + lam * theta
        h = h + mu[:, None, None] * np.eye(6) * np.diagonal(h, axis1=1, axis2=2)[:, :, None]
        step = -np.linalg.solve(h, g[..., None])[..., 0]
        new, _, _ = cost(theta + step)
        ok = new < cur
        theta[ok] += step[ok]
        cur = np.where(ok, new, cur)
        mu = np.where(ok, mu * 0.3, mu * 10)
        q = apply(theta, d, c)
        r = field.sample(field.f, q)
    return apply(theta, d, c)


def snap(field: Field, q: np.ndarray, amount: float) -> np.ndarray:
    """Move every point `amount` of f along -grad f (Newton step to the field's zero), capped."""
    f = field.sample(field.f, q)
    g = np.stack([field.sample(field.gx, q), field.sample(field.gy, q)], -1)
    n2 = (g**2).sum(-1, keepdims=True)
    step = -(f[..., None] * g / np.maximum(n2, 1e-3)) * amount
    norm = np.linalg.norm(step, axis=-1, keepdims=True)
    step = step * np.minimum(1.0, field.half_width / np.maximum(norm, 1e-9))
    for _ in range(3):  # smooth the moves along the stroke, so the snap adds no zigzag
        step[:, 1:-1] = 0.25 * step[:, :-2] + 0.5 * step[:, 1:-1] + 0.25 * step[:, 2:]
    return q + step


def coverage(field: Field, strokes: np.ndarray) -> float:
    img = Image.new("L", field.ink.shape[::-1], 0)
    dr = ImageDraw.Draw(img)
    w = round(2 * field.half_width + 4)
    for s in strokes:
        dr.line([tuple(p) for p in s], fill=255, width=w, joint="curve")
        for p in (s[0], s[-1]):
            dr.ellipse([p[0] - w / 2, p[1] - w / 2, p[0] + w / 2, p[1] + w / 2], fill=255)
    cov = np.asarray(img) > 0
    return float((cov & field.ink).sum() / max(1, field.ink.sum()))


def _mutual(a: np.ndarray) -> np.ndarray:
    """(S,K,2) -> (S,S): max of the two mean nearest-point distances between strokes."""
    d = np.linalg.norm(a[:, None, :, None, :] - a[None, :, None, :, :], axis=-1)  # (S,S,K,K)
    m = d.min(3).mean(2)
    return np.maximum(m, m.T)


def collapsed(before: np.ndarray, after: np.ndarray) -> int:
    """Pairs of strokes that the fit put onto the same ink."""
    mb, ma = _mutual(before), _mutual(after)
    iu = np.triu_indices(len(before), 1)
    return int(((ma[iu] < COLLAPSE_PX) & (mb[iu] > APART_PX)).sum())


def fit_char(field: Field, med_px: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    pts = pts0 = np.stack([resample(s, K) for s in med_px])  # (S,K,2)
    # this character's box: the medians' bounding box onto the glyph's ink box less half a
    # stroke width on each side (per axis, scale limited to BOX_SCALE of the global map)
    lo, hi = bbox(field.ink)
    lo, hi = lo + field.half_width, hi - field.half_width
    flat = pts.reshape(-1, 2)
    mlo, mhi = flat.min(0), flat.max(0)
    sc = np.clip((hi - lo) / np.maximum(mhi - mlo, 1.0), *BOX_SCALE)
    sc = np.where(mhi - mlo >= 8.0, sc, 1.0)  # a flat character (一): keep that axis's scale
    pts = ((pts - (mlo + mhi) / 2) * sc + (lo + hi) / 2) if np.all(hi > lo) else pts
    allp = lm_fit(field, pts.reshape(1, -1, 2), GLOBAL_SIGMA_T, GLOBAL_SIGMA_M).reshape(pts.shape)
    fitted = lm_fit(field, allp, SIGMA_T, SIGMA_M)
    ln0 = np.linalg.norm(np.diff(pts, axis=1), axis=-1).sum(1)
    ln1 = np.linalg.norm(np.diff(fitted, axis=1), axis=-1).sum(1)
    ratio = np.where(ln0 >= 6.0, ln1 / np.maximum(ln0, 1e-9), 1.0)
    dist = field.sample(field.d_out, fitted)  # judged before the snap, which hides misfits
    stats = {
        "mean_dist": float(dist.mean()),
        "max_off_frac": float((dist > OFF_PX).mean(1).max()),
        "cover": coverage(field, fitted),
        "mean_move": float(np.linalg.norm(fitted - pts0, axis=-1).mean()),
        "collapsed": collapsed(allp, fitted),
        "length_ratio_min": float(ratio.min()),
        "length_ratio_max": float(ratio.max()),
    }
    return snap(field, fitted, SNAP), stats


def reasons(st: dict) -> list[str]:
    """The acceptance rules a fit fails (none: accepted)."""
    rules = {
        "mean distance": st["mean_dist"] <= MAX_MEAN_DIST,
        "stroke off the ink": st["max_off_frac"] <= MAX_OFF_FRAC,
        "ink not covered": st["cover"] >= MIN_COVER,
        "strokes on the same ink": st["collapsed"] == 0,
        "stroke length": LENGTH_RATIO[0] <= st["length_ratio_min"]
        and st["length_ratio_max"] <= LENGTH_RATIO[1],
    }
    return [name for name, ok in rules.items() if not ok]


def accept(st: dict) -> bool:
    return not reasons(st)


def out_points(s: np.ndarray) -> np.ndarray:
    """Resample a fitted stroke (median units) to 2..K points, about one per 48 units."""
    length = np.linalg.norm(np.diff(s, axis=0), axis=1).sum()
    n = int(np.clip(np.ceil(length / 48.0) + 1, 2, K))
    return resample(s, n)
