"""The first (slower) preprocessing of commit 4866970, kept to prove the faster one equal."""

from __future__ import annotations

import math

import numpy as np

from engine.ink import Ink
from engine.preprocess import PreprocessConfig, features


def ink_arrays(ink: Ink) -> tuple[np.ndarray, np.ndarray]:
    xy = np.concatenate([s[:, :2] for s in ink.strokes], axis=0).astype(np.float64)
    sid = np.concatenate([np.full(len(s), i, dtype=np.int32) for i, s in enumerate(ink.strokes)])
    return xy, sid


def preprocess(ink: Ink, config: PreprocessConfig) -> np.ndarray:
    """engine.preprocess.preprocess (no augmentation) as first written."""
    xy, sid = ink_arrays(ink)
    norm = normalize(xy, sid)
    pts, s = remove_redundant(norm, sid, config.dist_threshold, config.cos_threshold)
    return features(pts, s)


def normalize(xy: np.ndarray, sid: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    same = sid[1:] == sid[:-1]
    p1, p2 = xy[:-1][same], xy[1:][same]
    seg = np.hypot(*(p2 - p1).T) if len(p1) else np.zeros(0)
    total = float(seg.sum())
    if total > 1e-9:
        mu = (seg[:, None] * (p1 + p2) / 2).sum(axis=0) / total
        a, b = p1 - mu, p2 - mu
        var = (seg[:, None] / 3 * (a * a + b * b + a * b)).sum(axis=0) / total
    else:
        mu = xy.mean(axis=0)
        var = ((xy - mu) ** 2).mean(axis=0)
    dx, dy = math.sqrt(max(var[0], 0.0)), math.sqrt(max(var[1], 0.0))
    delta = max(dy, dx / 2)
    if delta < 1e-9:
        delta = 1.0
    return (xy - mu) / delta


def remove_redundant(
    xy: np.ndarray, sid: np.ndarray, dist_threshold: float = 0.02, cos_threshold: float = 0.99
) -> tuple[np.ndarray, np.ndarray]:
    n = len(xy)
    if n <= 2:
        return xy.copy(), sid.copy()
    extent = float(np.max(xy.max(axis=0) - xy.min(axis=0)))
    min_d2 = (dist_threshold * extent) ** 2
    last = np.ones(n, dtype=bool)
    last[:-1] = sid[1:] != sid[:-1]
    first = np.ones(n, dtype=bool)
    first[1:] = sid[1:] != sid[:-1]
    xs, ys = xy[:, 0].tolist(), xy[:, 1].tolist()
    lst, fst = last.tolist(), first.tolist()
    keep = [0]
    kx, ky = xs[0], ys[0]
    for i in range(1, n):
        x, y = xs[i], ys[i]
        if fst[i] or lst[i]:
            keep.append(i)
            kx, ky = x, y
            continue
        ax, ay = x - kx, y - ky
        a2 = ax * ax + ay * ay
        if a2 < min_d2:
            continue
        bx, by = xs[i + 1] - x, ys[i + 1] - y
        b2 = bx * bx + by * by
        if b2 > 0 and (ax * bx + ay * by) > cos_threshold * math.sqrt(a2 * b2):
            continue
        keep.append(i)
        kx, ky = x, y
    idx = np.asarray(keep, dtype=np.intp)
    return xy[idx], sid[idx]
