"""Painting helpers of the pad: the 米字格 guide and antialiased strokes (no widget here)."""

from __future__ import annotations

from ime.qt import QColor, QPainter, QPen, QPointF, QPolygonF, QRectF, Qt

#: One pen point: x, y in the pad's pixels (y down), t in ms since the ink's first point.
Point = tuple[float, float, float]

GRID_COLOUR = QColor(220, 160, 160)


def paint_grid(p: QPainter, r: QRectF) -> None:
    """The 米字格 in square r: a border, the two middle lines and the two diagonals, dashed."""
    p.setPen(QPen(GRID_COLOUR, 1.5))
    p.drawRect(r)
    p.setPen(QPen(GRID_COLOUR, 1, Qt.PenStyle.DashLine))
    c = r.center()
    p.drawLine(QPointF(r.left(), c.y()), QPointF(r.right(), c.y()))
    p.drawLine(QPointF(c.x(), r.top()), QPointF(c.x(), r.bottom()))
    p.drawLine(r.topLeft(), r.bottomRight())
    p.drawLine(r.topRight(), r.bottomLeft())


def paint_stroke(p: QPainter, pts: list[Point], ws: list[float], colour: QColor) -> None:
    """One stroke with round caps and joins; ws is the pen width (px) at each point."""
    pen = QPen(
        colour, ws[0], Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
    )
    if len(pts) == 1:  # a tap: a dot
        p.setPen(pen)
        p.drawPoint(QPointF(pts[0][0], pts[0][1]))
        return
    if min(ws) == max(ws):  # mouse / touch: one polyline
        p.setPen(pen)
        p.drawPolyline(QPolygonF([QPointF(x, y) for x, y, _ in pts]))
        return
    # tablet: a width per segment (zip stops at the last segment, one short of pts)
    for (x0, y0, _), (x1, y1, _), w in zip(pts, pts[1:], ws[1:], strict=False):
        pen.setWidthF(w)
        p.setPen(pen)
        p.drawLine(QPointF(x0, y0), QPointF(x1, y1))
