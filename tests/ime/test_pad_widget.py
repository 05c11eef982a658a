"""The writing area: real mouse events in, exactly those points (with times) out."""

from __future__ import annotations

import itertools

import pytest
from pad_drawing import CROSS, draw_stroke
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from ime.pad import Pad

pytestmark = pytest.mark.gui


@pytest.fixture
def pad(qtbot) -> Pad:
    p = Pad(240)
    qtbot.addWidget(p)
    p.resize(240, 240)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_ink_is_exactly_what_was_drawn(qtbot, pad: Pad) -> None:
    with qtbot.waitSignals([pad.strokeFinished, pad.strokeFinished], timeout=2000):
        for stroke in CROSS:
            draw_stroke(pad, stroke)
    strokes = pad.strokes()
    assert pad.stroke_count == 2
    assert [[(x, y) for x, y, _ in s] for s in strokes] == CROSS
    times = [t for s in strokes for _, _, t in s]
    assert times[0] == 0
    assert all(b >= a for a, b in itertools.pairwise(times))
    assert times[-1] > times[0]  # QTest's timestamps advance with each event


def test_undo_by_right_click_and_clear(qtbot, pad: Pad) -> None:
    for stroke in CROSS + CROSS[:1]:
        draw_stroke(pad, stroke)
    assert pad.stroke_count == 3
    with qtbot.waitSignal(pad.inkChanged, timeout=1000):
        QTest.mouseClick(
            pad, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(10, 10)
        )
    assert pad.stroke_count == 2
    assert pad.undo()
    assert [[(x, y) for x, y, _ in s] for s in pad.strokes()] == CROSS[:1]
    pad.clear()
    assert pad.is_empty() and pad.strokes() == []
    assert not pad.undo()


def test_a_tap_is_a_one_point_stroke(pad: Pad) -> None:
    QTest.mouseClick(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(50, 60))
    assert [[(x, y) for x, y, _ in s] for s in pad.strokes()] == [[(50, 60)]]


def test_touch_input_is_recorded(qtbot, pad: Pad) -> None:
    device = QTest.createTouchDevice()
    QTest.touchEvent(pad, device).press(0, QPoint(30, 30)).commit()
    QTest.touchEvent(pad, device).move(0, QPoint(90, 100)).commit()
    with qtbot.waitSignal(pad.strokeFinished, timeout=1000):
        QTest.touchEvent(pad, device).release(0, QPoint(90, 100)).commit()
    [stroke] = pad.strokes()
    (x0, y0, t0), (x1, y1, t1) = stroke
    # QTest reports a touch at the centre of a small contact area: allow its 2 px offset.
    assert abs(x0 - 30) <= 2 and abs(y0 - 30) <= 2
    assert (x1 - x0, y1 - y0) == (60, 70)
    assert t1 >= t0


def test_tablet_pressure_sets_the_width_and_the_points_are_kept(qtbot, pad: Pad) -> None:
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    pen = QPointingDevice(
        "test stylus",
        7,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        2,
    )
    kinds = [QEvent.Type.TabletPress, QEvent.Type.TabletMove, QEvent.Type.TabletRelease]
    points = [(30.0, 40.0, 0.1), (80.0, 90.0, 0.9), (120.0, 95.0, 0.5)]
    with qtbot.waitSignal(pad.strokeFinished, timeout=1000):
        for kind, (x, y, pressure) in zip(kinds, points, strict=True):
            ev = QTabletEvent(
                kind,
                pen,
                QPointF(x, y),
                pad.mapToGlobal(QPointF(x, y)),
                pressure,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                Qt.KeyboardModifier.NoModifier,
                Qt.MouseButton.LeftButton,
                Qt.MouseButton.LeftButton,
            )
            QApplication.sendEvent(pad, ev)
    assert [[(x, y) for x, y, _ in s] for s in pad.strokes()] == [[p[:2] for p in points]]
    [widths] = pad.stroke_widths()
    assert widths[0] < widths[2] < widths[1]  # harder pressure, wider ink
