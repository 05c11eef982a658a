"""Property tests: any input gives candidates or an EngineError, never another exception."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.ink import Ink, make_ink
from engine.preprocess import PreprocessConfig, preprocess
from engine.recognizer import Recognizer

#: ~2,000 generated inks in all; derandomized so CI runs the same examples every time.
SETTINGS = settings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


REGIMES = ("plain", "huge", "tiny", "grid", "same", "line", "offset")


@st.composite
def inks(draw: st.DrawFn) -> Ink:
    """Inks in ordinary and degenerate regimes: hypothesis picks the structure and a seed,
    numpy draws the coordinates (fast: ~2,000 inks in a few seconds)."""
    counts = draw(st.lists(st.integers(1, 25), min_size=1, max_size=6))
    regimes = draw(st.lists(st.sampled_from(REGIMES), min_size=len(counts), max_size=len(counts)))
    steps = draw(st.sampled_from([(0.0,), (0.0, 1.0, 7.5), (5.0,)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out, t = [], 0.0
    for n, regime in zip(counts, regimes, strict=True):
        if regime == "same":  # one point repeated
            xy = np.repeat(rng.uniform(-1e9, 1e9, (1, 2)), n, axis=0)
        elif regime == "line":  # exactly collinear, with repeats
            k = np.sort(rng.integers(0, 6, n)).astype(float)[:, None]
            xy = rng.uniform(-1e3, 1e3, 2) + k * np.array([1.0, 2.0])
        elif regime == "grid":  # many duplicates
            xy = rng.integers(0, 4, (n, 2)).astype(float)
        elif regime == "offset":  # tiny strokes far from the origin
            xy = 1e8 + rng.uniform(0, 1e-3, (n, 2))
        else:
            scale = {"plain": 1e3, "huge": 1e9, "tiny": 1e-9}[regime]
            xy = rng.uniform(-scale, scale, (n, 2))
        ts = t + np.cumsum(rng.choice(steps, n))
        t = float(ts[-1])
        out.append(np.column_stack([xy, ts]).tolist())
    return make_ink(out)


number: Any = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.sampled_from([True, None, "1", [], {}]),
)
raw_point = st.one_of(st.lists(number, min_size=3, max_size=3), st.lists(number, max_size=4))
raw_strokes: Any = st.one_of(
    st.lists(st.lists(raw_point, max_size=3), max_size=3),
    st.lists(st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), max_size=5), max_size=3),
    number,
)


@settings(SETTINGS, max_examples=800)
@given(ink=inks())
def test_preprocess_gives_finite_features(ink: Ink) -> None:
    f = preprocess(ink, rng=np.random.default_rng(0) if ink.num_points % 2 else None)
    assert f.dtype == np.float32 and f.ndim == 2 and f.shape[1] == 6
    cap = PreprocessConfig().max_points  # resampling may add points; the engine caps them
    assert min(len(ink.strokes), cap) <= len(f) <= cap
    assert np.isfinite(f).all()
    assert np.all((f[:, 4] + f[:, 5]) == 1) and f[-1, 5] == 1


@pytest.fixture(scope="module")
def recognizer(tiny_package: Path) -> Recognizer:
    return Recognizer(tiny_package).load()


def check_candidates(r: Recognizer, ink: Ink) -> None:
    try:
        cands = r.recognize(ink, n=5)
    except EngineError:
        return
    assert len(cands) == 5 and len({c.char for c in cands}) == 5
    probs = [c.prob for c in cands]
    assert all(math.isfinite(p) and 0 <= p <= 1 for p in probs)
    assert probs == sorted(probs, reverse=True)


@settings(SETTINGS, max_examples=600)
@given(ink=inks())
def test_recognize_degenerate_ink(recognizer: Recognizer, ink: Ink) -> None:
    check_candidates(recognizer, ink)


@settings(SETTINGS, max_examples=600)
@given(strokes=raw_strokes, label=st.one_of(st.none(), st.text(max_size=2), st.integers()))
def test_arbitrary_input_is_ink_or_engine_error(
    recognizer: Recognizer, strokes: Any, label: Any
) -> None:
    try:
        ink = make_ink(strokes, label)
    except EngineError:
        return
    check_candidates(recognizer, ink)
