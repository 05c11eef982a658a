"""The preprocessing's parameters (``PreprocessConfig``), each checked against the range its
meaning allows: a model package stores them and they are read back from untrusted files.

``engine.preprocess`` holds the functions that use them and re-exports the class.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.ink import MAX_POINTS


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
