"""QuickKeys: punctuation and a space / backspace / enter row, so no keyboard is needed."""

from __future__ import annotations

from ime.i18n import tr
from ime.qt import QHBoxLayout, QSizePolicy, Qt, QToolButton, QVBoxLayout, QWidget, Signal

PUNCTUATION = ("，", "。", "？", "！", "、", "：", "；", "“", "”")

#: Actions the key row emits; the controller maps them to the inserter.
SPACE, BACKSPACE, ENTER = "space", "backspace", "enter"


class QuickKeys(QWidget):
    """Two rows of buttons that never take the focus.

    ``text(str)`` for a punctuation mark, ``action(str)`` for SPACE, BACKSPACE or ENTER.
    """

    text = Signal(str)
    action = Signal(str)

    def __init__(self, language: str = "zh", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(2)
        punct = QHBoxLayout()
        punct.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for mark in PUNCTUATION:
            b = self._button(mark)
            b.clicked.connect(lambda _=False, m=mark: self.text.emit(m))
            punct.addWidget(b)
        rows.addLayout(punct)
        actions = QHBoxLayout()
        actions.setSpacing(2)
        for name, stretch in ((SPACE, 3), (BACKSPACE, 1), (ENTER, 1)):
            b = self._button(tr(name, language))
            b.clicked.connect(lambda _=False, a=name: self.action.emit(a))
            actions.addWidget(b, stretch)
            self.buttons[name] = b
        rows.addLayout(actions)

    def _button(self, label: str) -> QToolButton:
        b = QToolButton(self)
        b.setText(label)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        b.setMinimumSize(24, 30)
        self.buttons[label] = b
        return b

    def retranslate(self, language: str) -> None:
        for name in (SPACE, BACKSPACE, ENTER):
            self.buttons[name].setText(tr(name, language))
