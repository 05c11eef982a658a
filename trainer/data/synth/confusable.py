"""What tells a confusable character from its twin, kept in every shape source's template.

Real writers' misses include 日 -> 曰 (issue 25). What distinguishes the two is the box's
proportion: 日 tall (width / height about 0.6), 曰 wide (about 1.1-1.3 in the running-script
fonts, 1.06 in the medians). One shape source blurs it: the WenKai fit's 曰 is 0.83 wide, a
tall box the model then learns to read as 曰 too. ``distinguish`` brings such a template to
within its character's bounds (the synthesizer's own aspect noise comes on top, as real
writers' does). 未/末 and 土/士 (the top 横 shorter or longer) are right in every source and
the synthesizer keeps them (tests/data/test_synth_running.py measures it).
"""

from __future__ import annotations

import math

import numpy as np

#: Width / height bounds of a character's template: (least, most).
ASPECT_BOUNDS: dict[str, tuple[float, float]] = {
    "曰": (1.05, math.inf),
    "日": (0.0, 0.72),
}


def distinguish(char: str, strokes: list[np.ndarray]) -> list[np.ndarray]:
    """``strokes`` stretched about their box's centre to ``char``'s aspect bounds (area
    kept); the same list object where there are none or they already hold."""
    bounds = ASPECT_BOUNDS.get(char)
    if bounds is None or not strokes:
        return strokes
    pts = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    w, h = hi - lo
    if w <= 0 or h <= 0:
        return strokes
    aspect = w / h
    target = min(max(aspect, bounds[0]), bounds[1])
    if target == aspect:
        return strokes
    f = math.sqrt(target / aspect)
    centre = 0.5 * (lo + hi)
    scale = np.array([f, 1.0 / f])
    return [
        ((np.asarray(s, dtype=np.float64) - centre) * scale + centre).astype(np.asarray(s).dtype)
        for s in strokes
    ]
