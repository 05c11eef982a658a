"""Draw on a widget with real QTest mouse events; write on the pad and wait for its candidates."""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

#: Two strokes of a rough 十, in pad pixels.
CROSS = [
    [(40, 120), (80, 121), (120, 122), (160, 121), (200, 120)],
    [(120, 40), (121, 80), (122, 120), (121, 160), (120, 200)],
]


def draw_stroke(widget, points: list[tuple[int, int]], delay_ms: int = 5) -> None:
    """Press at the first point, move through the rest, release at the last."""
    left = Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    QTest.mousePress(widget, left, none, QPoint(*points[0]), delay_ms)
    for x, y in points[1:]:
        QTest.mouseMove(widget, QPoint(x, y), delay_ms)
    QTest.mouseRelease(widget, left, none, QPoint(*points[-1]), delay_ms)


def pixel_path(points: np.ndarray) -> list[tuple[int, int]]:
    """Every whole pixel along the polyline, as a mouse moved slowly gives them."""
    out = [tuple(np.rint(points[0]).astype(int))]
    for a, b in itertools.pairwise(points):
        n = int(np.ceil(np.abs(b - a).max()))
        for s in np.arange(1, n + 1) / max(n, 1):
            p = tuple(np.rint(a + s * (b - a)).astype(int))
            if p != out[-1]:
                out.append(p)
    return out


def write(qtbot, window, strokes: list[list[tuple[int, int]]]) -> None:
    """Draw strokes on window's pad and wait until the candidates for the last one are shown."""
    for stroke in strokes:
        with qtbot.waitSignal(
            window.controller.candidatesShown,
            timeout=5000,
            check_params_cb=lambda kind: kind == "candidates",
        ):
            draw_stroke(window.pad, stroke)


def write_template(qtbot, window, char: str) -> list[str]:
    """Write char's stroke medians (trainer.data.templates) on window's pad; the candidates
    shown for the whole of it."""
    from trainer.data.templates import load_templates

    side = min(window.pad.width(), window.pad.height())
    for s in load_templates().strokes(char):
        draw_stroke(window.pad, pixel_path(20 + s * (side - 40)), delay_ms=0)
    c = window.controller
    assert c.service.wait(10_000)
    qtbot.waitUntil(lambda: c.best() is not None, timeout=10_000)
    return window.bar.items()
