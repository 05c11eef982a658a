"""MainWindow: the pad, its candidates and quick keys in a window that never takes the focus."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ime.associations import Associations
from ime.candidates import CandidateBar
from ime.controller import Controller, Inserter
from ime.delay import Delay
from ime.i18n import tr
from ime.keys import SPACE, QuickKeys
from ime.pad import Pad
from ime.qt import (
    QApplication,
    QCloseEvent,
    QGuiApplication,
    QHBoxLayout,
    QKeyEvent,
    QKeySequence,
    QLabel,
    QMoveEvent,
    QRect,
    QResizeEvent,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from ime.recognition import RecognitionService
from ime.settings import Settings, save_settings
from ime.tray import app_icon, make_tray

logger = logging.getLogger(__name__)


class MainWindow(QWidget):
    """Top-level tool window: stays on top, shows without activating, never takes the focus
    (so keystrokes and inserted text keep going to the application being written into).

    Remembers its geometry in the settings (saved ``save_delay`` after the last move/resize
    and on close). Closing hides it to the tray when there is one, else quits.
    """

    def __init__(self, settings: Settings, service: RecognitionService, inserter: Inserter,
                 associations: Associations | None = None, settings_path: Path | None = None,
                 make_inserter: Callable[[str], Inserter] | None = None,
                 tray: bool = True) -> None:
        super().__init__(None)
        self.settings = settings
        self.settings_path = settings_path
        self._make_inserter = make_inserter
        lang = settings.language
        self.setWindowTitle(tr("app_name", lang))
        self.setWindowIcon(app_icon())
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("background:#fff3cd;color:#5c4400;padding:4px;")
        self.message.hide()
        self.bar = CandidateBar(self)
        self.pad = Pad(settings.pad_size, settings.ink_colour, self)
        self.keys = QuickKeys(lang, self)
        self.undo_button = self._tool(tr("undo", lang), self.pad.undo)
        self.clear_button = self._tool(tr("clear", lang), self.pad.clear)
        self.settings_button = self._tool(tr("settings", lang), self.open_settings)

        side = QVBoxLayout()
        for b in (self.undo_button, self.clear_button, self.settings_button):
            side.addWidget(b)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.pad, 1)
        middle.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.message)
        layout.addWidget(self.bar)
        layout.addLayout(middle, 1)
        layout.addWidget(self.keys)

        self.controller = Controller(self.pad, self.bar, service, inserter, associations,
                                     settings.auto_commit_ms, lang, self)
        self.controller.message.connect(self.show_message)
        self.keys.text.connect(self.controller.type_text)
        self.keys.action.connect(self.controller.key_action)
        notice = getattr(inserter, "notice", "")
        if notice:
            self.show_message(notice)

        self.save_delay = Delay(500, parent=self)
        self.save_delay.timeout.connect(self.save_geometry)
        self.tray = make_tray(self.toggle, self.quit, lang, self) if tray else None
        self._restore_geometry()

    def _tool(self, label: str, slot: Callable[[], object]) -> QToolButton:
        b = QToolButton(self)
        b.setText(label)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        b.clicked.connect(lambda _=False: slot())
        return b

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str) -> None:
        """Show one line of text above the candidates ("" hides it)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # ------------------------------------------------------------------ keys
    def keyPressEvent(self, e: QKeyEvent) -> None:
        # Only reached when the user focused the pad on purpose (it never takes the focus).
        if e.matches(QKeySequence.StandardKey.Undo):
            self.pad.undo()
        elif e.key() == Qt.Key.Key_Escape:
            self.pad.clear()
        elif self.bar.handle_key(e.key()):
            pass
        elif e.key() == Qt.Key.Key_Space:
            self.controller.key_action(SPACE)
        else:
            super().keyPressEvent(e)
            return
        e.accept()

    # ------------------------------------------------------------------ geometry
    def _restore_geometry(self) -> None:
        g = self.settings.geometry
        if g is not None:
            rect = QRect(*g)
            screen = QGuiApplication.screenAt(rect.center())
            if screen is not None:
                self.setGeometry(rect)
                return
            logger.info("saved window place %s is off every screen; using the default", g)
        self.resize(self.sizeHint())

    def moveEvent(self, e: QMoveEvent) -> None:
        super().moveEvent(e)
        if self.isVisible():
            self.save_delay.start()

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        if self.isVisible():
            self.save_delay.start()

    def save_geometry(self) -> None:
        g = self.geometry()
        self.settings.geometry = [g.x(), g.y(), g.width(), g.height()]
        self.save()

    def save(self) -> None:
        try:
            save_settings(self.settings, self.settings_path)
        except OSError as e:
            logger.warning("cannot save settings: %s", e)

    # ------------------------------------------------------------------ settings
    def open_settings(self) -> None:
        from ime.insert import available_modes, describe_chain
        from ime.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, available_modes(), describe_chain, self)
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, s: Settings) -> None:
        """Use new settings at once and save them."""
        old = self.settings
        self.settings = s
        self.pad.set_ink_colour(s.ink_colour)
        if s.pad_size != old.pad_size:
            self.pad.set_side(s.pad_size)
            self.adjustSize()
        self.controller.auto_commit.ms = s.auto_commit_ms
        self.controller.auto_commit.enabled = s.auto_commit_ms > 0
        self.controller.language = s.language
        if s.language != old.language:
            self._retranslate(s.language)
        if s.insert_mode != old.insert_mode and self._make_inserter is not None:
            self.controller.inserter = self._make_inserter(s.insert_mode)
        self.save()

    def _retranslate(self, lang: str) -> None:
        self.setWindowTitle(tr("app_name", lang))
        self.undo_button.setText(tr("undo", lang))
        self.clear_button.setText(tr("clear", lang))
        self.settings_button.setText(tr("settings", lang))
        self.keys.retranslate(lang)

    # ------------------------------------------------------------------ show / quit
    def toggle(self) -> None:
        self.setVisible(not self.isVisible())

    def quit(self) -> None:
        self.save_geometry()
        self.controller.service.wait(2000)
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def closeEvent(self, e: QCloseEvent) -> None:
        self.save_delay.stop()
        self.save_geometry()
        if self.tray is not None and self.tray.isVisible():
            self.hide()
            e.ignore()
            return
        e.accept()
