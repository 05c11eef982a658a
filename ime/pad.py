"""Pad: the square writing area. Records timed pen points from mouse, touch and tablet."""

from __future__ import annotations

import logging

from ime.ink_painting import Point, paint_grid, paint_stroke
from ime.qt import (
    QColor,
    QElapsedTimer,
    QEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QPointF,
    QRectF,
    QResizeEvent,
    QSize,
    QSizePolicy,
    Qt,
    QTabletEvent,
    QTouchEvent,
    QWidget,
    Signal,
)

logger = logging.getLogger(__name__)

BASE_WIDTH = 4.0


class Pad(QWidget):
    """The writing area: a light 米字格 guide, antialiased ink, undo and clear.

    Coordinates are the widget's own pixels (the guide square is centred in the widget; a
    point outside it is still kept). Times come from each event's timestamp (ms) counted from
    the ink's first point; if the platform gives no timestamps, a monotonic clock is used
    instead for the whole ink. A stroke ends at pen-up. The pad holds no recognition: it emits
    ``strokeStarted`` at pen-down (before the point is recorded, so a listener may clear the
    previous character), ``inkChanged`` whenever the finished strokes change (pen-up, undo,
    clear) and, at pen-up, ``strokeFinished`` right after it.
    """

    strokeStarted = Signal()
    strokeFinished = Signal()
    inkChanged = Signal()

    def __init__(
        self, side: int = 280, ink_colour: str = "#202020", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._side = side
        self._ink = QColor(ink_colour)
        self._strokes: list[list[Point]] = []
        self._widths: list[list[float]] = []
        self._current: list[Point] | None = None
        self._current_w: list[float] = []
        self._t0: float | None = None
        self._last_t = 0.0
        self._use_event_time = True
        self._clock = QElapsedTimer()
        self._faded = False
        # Background, guide and finished strokes, rendered once: a repaint during writing
        # then costs one blit plus the open stroke, however much ink is on the pad.
        self._cache: QPixmap | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(side, side)  # the size set in Settings, at least (issue 23)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # ----------------------------------------------------------------- public API
    def strokes(self) -> list[list[Point]]:
        """A copy of the finished strokes, each a list of (x, y, t_ms)."""
        return [list(s) for s in self._strokes]

    def stroke_widths(self) -> list[list[float]]:
        """Pen width (px) at each point of each finished stroke (from tablet pressure)."""
        return [list(w) for w in self._widths]

    @property
    def stroke_count(self) -> int:
        return len(self._strokes)

    def is_empty(self) -> bool:
        return not self._strokes and self._current is None

    def is_writing(self) -> bool:
        return self._current is not None

    def undo(self) -> bool:
        """Remove the last finished stroke; False when there is none or a stroke is open."""
        if self._current is not None or not self._strokes:
            return False
        self._strokes.pop()
        self._widths.pop()
        if not self._strokes:
            self._t0 = None
        self._invalidate()
        self.inkChanged.emit()
        return True

    def clear(self) -> None:
        """Remove every finished stroke (an open stroke is kept)."""
        had = bool(self._strokes)
        self._strokes.clear()
        self._widths.clear()
        self._faded = False
        if self._current is None:
            self._t0 = None
        self._invalidate()
        if had:
            self.inkChanged.emit()

    def set_ink_colour(self, colour: str) -> None:
        self._ink = QColor(colour)
        self._invalidate()

    def set_side(self, side: int) -> None:
        """The writing area's size in px: its size hint and its minimum (the window may make
        it larger, never smaller)."""
        self._side = side
        self.setMinimumSize(side, side)
        self.updateGeometry()

    def set_faded(self, faded: bool) -> None:
        """Draw the finished ink lighter: the character is done, the next stroke starts anew."""
        if faded != self._faded:
            self._faded = faded
            self._invalidate()

    def sizeHint(self) -> QSize:
        return QSize(self._side, self._side)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        return w

    def guide_rect(self) -> QRectF:
        """The 米字格 square: the largest square centred in the widget, inset 2 px."""
        s = min(self.width(), self.height()) - 4
        return QRectF((self.width() - s) / 2, (self.height() - s) / 2, s, s)

    # ----------------------------------------------------------------- recording
    def _time(self, event_ms: int) -> float:
        if self._t0 is None:
            self._use_event_time = event_ms > 0
            self._clock.start()
            self._t0 = float(event_ms) if self._use_event_time else 0.0
        now = float(event_ms) if self._use_event_time else float(self._clock.elapsed())
        # Devices may run on different clocks; time never runs backwards within an ink.
        t = max(now - self._t0, self._last_t)
        self._last_t = t
        return t

    def _begin(self, pos: QPointF, event_ms: int, width: float) -> None:
        if self._current is not None:
            self._end(None, event_ms, width)
        self.strokeStarted.emit()
        if self._t0 is None:
            self._last_t = 0.0
        if self._faded:
            self._faded = False
            self._invalidate()
        self._current = [(pos.x(), pos.y(), self._time(event_ms))]
        self._current_w = [width]
        self._update_around(pos.x(), pos.y(), pos.x(), pos.y(), width)

    def _add(self, pos: QPointF, event_ms: int, width: float) -> None:
        if self._current is None:
            return
        x0, y0, _ = self._current[-1]
        self._current.append((pos.x(), pos.y(), self._time(event_ms)))
        self._current_w.append(width)
        self._update_around(x0, y0, pos.x(), pos.y(), width)

    def _end(self, pos: QPointF | None, event_ms: int, width: float) -> None:
        if self._current is None:
            return
        if pos is not None:
            last = self._current[-1]
            if (pos.x(), pos.y()) != (last[0], last[1]):
                self._add(pos, event_ms, width)
        self._strokes.append(self._current)
        self._widths.append(self._current_w)
        if self._cache is not None:
            p = QPainter(self._cache)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_stroke(p, self._current, self._current_w, self._ink_colour())
            p.end()
        self._current, self._current_w = None, []
        self.update()
        self.inkChanged.emit()
        self.strokeFinished.emit()

    def _cancel(self) -> None:
        self._current, self._current_w = None, []
        if not self._strokes:
            self._t0 = None
        self.update()

    def _update_around(self, x0: float, y0: float, x1: float, y1: float, width: float) -> None:
        m = width + 2
        self.update(
            QRectF(
                min(x0, x1) - m, min(y0, y1) - m, abs(x1 - x0) + 2 * m, abs(y1 - y0) + 2 * m
            ).toAlignedRect()
        )

    # ----------------------------------------------------------------- events
    def mousePressEvent(self, e: QMouseEvent) -> None:
        if e.button() == Qt.MouseButton.LeftButton:
            self._begin(e.position(), e.timestamp(), BASE_WIDTH)
        elif e.button() == Qt.MouseButton.RightButton:
            self.undo()
        e.accept()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:
        if e.buttons() & Qt.MouseButton.LeftButton:
            self._add(e.position(), e.timestamp(), BASE_WIDTH)
        e.accept()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        if e.button() == Qt.MouseButton.LeftButton:
            self._end(e.position(), e.timestamp(), BASE_WIDTH)
        e.accept()

    def tabletEvent(self, e: QTabletEvent) -> None:
        # Pressure 0..1 maps to 0.4..1.6 times the base width.
        width = BASE_WIDTH * (0.4 + 1.2 * max(0.0, min(1.0, e.pressure())))
        kind = e.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(e.position(), e.timestamp(), width)
        elif kind == QEvent.Type.TabletMove:
            self._add(e.position(), e.timestamp(), width)
        elif kind == QEvent.Type.TabletRelease:
            self._end(e.position(), e.timestamp(), width)
        e.accept()

    def event(self, e: QEvent) -> bool:
        kind = e.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd):
            assert isinstance(e, QTouchEvent)
            pts = e.points()
            if pts:
                pos, ms = pts[0].position(), e.timestamp()
                if kind == QEvent.Type.TouchBegin:
                    self._begin(pos, ms, BASE_WIDTH)
                elif kind == QEvent.Type.TouchUpdate:
                    self._add(pos, ms, BASE_WIDTH)
                else:
                    self._end(pos, ms, BASE_WIDTH)
            e.accept()
            return True
        if kind == QEvent.Type.TouchCancel:
            self._cancel()
            e.accept()
            return True
        return super().event(e)

    # ----------------------------------------------------------------- painting
    def resizeEvent(self, e: QResizeEvent) -> None:
        self._cache = None
        super().resizeEvent(e)

    def _invalidate(self) -> None:
        self._cache = None
        self.update()

    def _ink_colour(self) -> QColor:
        ink = QColor(self._ink)
        if self._faded:
            ink.setAlpha(90)
        return ink

    def _render_cache(self) -> QPixmap:
        dpr = self.devicePixelRatioF()
        pm = QPixmap(self.size() * dpr)
        pm.setDevicePixelRatio(dpr)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), QColor(255, 255, 250))
        paint_grid(p, self.guide_rect())
        ink = self._ink_colour()
        for pts, ws in zip(self._strokes, self._widths, strict=True):
            paint_stroke(p, pts, ws, ink)
        p.end()
        return pm

    def paintEvent(self, e: QPaintEvent) -> None:
        if self._cache is None:
            self._cache = self._render_cache()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._cache)
        if self._current is not None:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_stroke(p, self._current, self._current_w, QColor(self._ink))
        p.end()
