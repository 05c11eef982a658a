"""Helpers of the engine tests: tiny model packages and random inks, built here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.ink import Ink, make_ink
from engine.package import write_package
from engine.preprocess import PreprocessConfig

CHARSET = "一二三十口日月田中国人大"


def build_package(
    path: Path,
    charset: str = CHARSET,
    encodings: dict[str, str] | None = None,
    seed: int = 0,
    static_classes: bool = True,
    num_classes: int | None = None,
) -> dict[str, np.ndarray]:
    """Write a tiny package (LSTM 6->8, FC 8->8->C) at ``path``; returns its weights.

    Needs the onnx package (a test skips when it is missing).
    """
    pytest.importorskip("onnx")
    from tests.support.onnx_builders import externalize, lstm_classifier

    model, weights = lstm_classifier(
        num_classes or len(charset), seed=seed, static_classes=static_classes
    )
    write_package(
        path,
        externalize(model, list(weights)),
        charset,
        PreprocessConfig(),
        weights,
        encodings or {},
        {"stage": "test", "seed": seed},
    )
    return weights


def sample_ink(seed: int, strokes: int = 3, points: int = 12, label: str | None = None) -> Ink:
    """A random ink of straight-ish noisy strokes, times increasing."""
    rng = np.random.default_rng(seed)
    out, t = [], 0.0
    for _ in range(strokes):
        a, b = rng.uniform(0, 100, 2), rng.uniform(0, 100, 2)
        pts = np.linspace(a, b, points) + rng.normal(0, 1.5, (points, 2))
        out.append([[x, y, t + 8.0 * i] for i, (x, y) in enumerate(pts)])
        t += 8.0 * points + 150
    return make_ink(out, label)
