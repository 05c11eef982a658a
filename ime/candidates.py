"""CandidateBar: ten candidates in a row; a click commits one."""

from __future__ import annotations

from ime.qt import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QRectF,
    QSize,
    QSizePolicy,
    Qt,
    QWidget,
    Signal,
)

SLOTS = 10


class CandidateBar(QWidget):
    """Shows up to ten strings in cells; the first is the default (the space quick key and
    auto-commit take it).

    ``kind`` says what is shown: "candidates" (recognition results), "associations" (联想
    after a commit) or "" (nothing). ``chosen(text)`` is emitted on a click. No keys: the pad
    never has the keyboard focus (issue 15). ``painted`` is emitted at the end of every paint,
    so a test or benchmark can wait until candidates are on screen.
    """

    chosen = Signal(str)
    painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[str] = []
        self.kind = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(44)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._char_font = QFont(self.font())
        self._char_font.setPointSizeF(self.font().pointSizeF() * 1.7)

    def items(self) -> list[str]:
        return list(self._items)

    def set_items(self, items: list[str], kind: str) -> None:
        self._items = list(items[:SLOTS])
        self.kind = kind if self._items else ""
        self.update()

    def clear(self) -> None:
        self.set_items([], "")

    def choose(self, index: int) -> bool:
        """Emit ``chosen`` for cell ``index`` (0-based); False when that cell is empty."""
        if 0 <= index < len(self._items):
            self.chosen.emit(self._items[index])
            return True
        return False

    def cell_rect(self, index: int) -> QRectF:
        w = self.width() / SLOTS
        return QRectF(index * w, 0, w, self.height())

    def sizeHint(self) -> QSize:
        return QSize(SLOTS * 36, 44)

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        if e.button() == Qt.MouseButton.LeftButton and self.rect().contains(e.position().toPoint()):
            self.choose(int(e.position().x() // (self.width() / SLOTS)))
        e.accept()

    def paintEvent(self, e: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        p.fillRect(self.rect(), QColor(248, 248, 248))
        assoc = self.kind == "associations"
        for i, text in enumerate(self._items):
            r = self.cell_rect(i)
            if i == 0:
                p.fillRect(r.adjusted(1, 2, -1, -2), QColor(225, 236, 250))
            p.setPen(QColor(90, 90, 140) if assoc else QColor(20, 20, 20))
            p.setFont(self._char_font)
            p.drawText(r, int(Qt.AlignmentFlag.AlignCenter), text)
        p.end()
        self.painted.emit()
