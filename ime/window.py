"""MainWindow: the pad, its candidates and quick keys in a window that never takes the focus."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ime.associations import Associations
from ime.candidates import CandidateBar
from ime.controller import Controller
from ime.delay import Delay
from ime.i18n import install_qt_translator, resolve_language, tr
from ime.insert.focus import FocusKeeper
from ime.insert.protocol import Inserter
from ime.keys import QuickKeys
from ime.memory_store import MemoryStore
from ime.pad import Pad
from ime.pauses import PauseModel
from ime.qt import (
    QApplication,
    QCloseEvent,
    QEvent,
    QGuiApplication,
    QHBoxLayout,
    QLabel,
    QMoveEvent,
    QObject,
    QRect,
    QResizeEvent,
    QSizePolicy,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ime.recognition import RecognitionService
from ime.settings import Settings, SettingsRead, default_path, describe_read, save_settings
from ime.settings_file import NotRegularFile, kind_name
from ime.tray import app_icon, make_tray, retranslate_tray

logger = logging.getLogger(__name__)

#: How long a brief status stays on the pad, ms.
STATUS_MS = 3000


class MainWindow(QWidget):
    """Top-level tool window: stays on top, shows without activating, never takes the focus
    (so keystrokes and inserted text keep going to the application being written into).

    It takes no keys either: the keyboard stays with that application (issue 15).
    Remembers its geometry in the settings (saved ``save_delay`` after the last move/resize
    and on close). Closing hides it to the tray when a tray icon is shown, else quits the
    application (``quitting`` is emitted first).
    """

    quitting = Signal()

    def __init__(
        self,
        settings: Settings,
        service: RecognitionService,
        inserter: Inserter,
        associations: Associations | None = None,
        settings_path: Path | None = None,
        make_inserter: Callable[[str], Inserter] | None = None,
        tray: bool = True,
        focus: FocusKeeper | None = None,
        settings_read: SettingsRead | None = None,
        memory: MemoryStore | None = None,
    ) -> None:
        super().__init__(None)
        self.settings = settings
        self.settings_path = settings_path
        # What reading the settings file found: its notice is shown, and a file that is not
        # ours to replace (keep_out) is never saved over (issue 22).
        self.settings_read = settings_read
        self._refusal_logged = False
        self._make_inserter = make_inserter
        self.focus = focus if focus is not None else FocusKeeper()
        self._notice = ""
        self.lang = lang = resolve_language(settings.language)
        self.setWindowTitle(tr("app_name", lang))
        self.setWindowIcon(app_icon())
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.bar = CandidateBar(self)
        self.pad = Pad(settings.pad_size, settings.ink_colour, self)
        # The notice floats over the top of the writing area instead of taking a place in the
        # layout: showing or hiding it moves and resizes nothing (issue 23). The pen writes
        # on through it.
        self.message = self._notice_label()
        self.pad.installEventFilter(self)
        self.keys = QuickKeys(lang, self)
        self.undo_button = self._tool(tr("undo", lang), self.pad.undo)
        self.clear_button = self._tool(tr("clear", lang), self.pad.clear)
        self.settings_button = self._tool(tr("settings", lang), self.open_settings)
        self._lay_out()

        self.controller = Controller(
            self.pad,
            self.bar,
            service,
            inserter,
            associations=associations,
            auto_commit=settings.auto_commit,
            fixed_ms=settings.auto_commit_ms,
            pauses=PauseModel(pauses=settings.pauses_ms),
            language=lang,
            parent=self,
            target=self.focus.focused,
            memory=memory,
        )
        self._keep_memory(memory)
        self.controller.message.connect(self.show_message)
        self.controller.status.connect(self.show_status)
        #: How long a brief status (``show_status``) stays, ms.
        self.status_delay = Delay(STATUS_MS, parent=self)
        self.status_delay.timeout.connect(self._end_status)
        self._status = ""
        self.controller.committed.connect(lambda _: self.set_notice(""))
        self.keys.text.connect(self.controller.type_text)
        self.keys.action.connect(self.controller.key_action)
        self._show_inserter_notice(inserter)

        self.save_delay = Delay(500, parent=self)
        self.save_delay.timeout.connect(self.save_geometry)
        self.tray = make_tray(self.toggle, self.quit, lang, self) if tray else None
        self._restore_geometry()
        if settings_read is not None and describe_read(settings_read, lang):
            self.set_notice(describe_read(settings_read, lang))

    def _keep_memory(self, memory: MemoryStore | None) -> None:
        """The user's memory (issue 28): what opening or saving it found is a notice."""
        self.memory = memory
        if memory is not None:
            memory.tell = self.set_notice

    def _notice_label(self) -> QLabel:
        """The notice over the top of the pad: wraps, lets the pen through, hidden at first."""
        label = QLabel(self.pad)
        label.setWordWrap(True)
        label.setStyleSheet(
            "background:rgba(255,243,205,235);color:#5c4400;padding:4px;"
            "border-bottom:1px solid #e0c97a;"
        )
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        label.hide()
        return label

    def _lay_out(self) -> None:
        """The candidate bar above, the pad with its three buttons beside it, the keys below."""
        side = QVBoxLayout()
        for b in (self.undo_button, self.clear_button, self.settings_button):
            # As wide as the widest of the three (issue 23: they had each their own width).
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            side.addWidget(b)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.pad, 1)
        middle.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.bar)
        layout.addLayout(middle, 1)
        layout.addWidget(self.keys)

    def _tool(self, label: str, slot: Callable[[], object]) -> QToolButton:
        b = QToolButton(self)
        b.setText(label)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        b.clicked.connect(lambda _=False: slot())
        return b

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str) -> None:
        """Show one line of text above the candidates; "" shows the standing notice, if any,
        else hides the line."""
        text = text or self._notice
        self.message.setText(text)
        self._place_message()
        self.message.setVisible(bool(text))

    def show_status(self, text: str) -> None:
        """Show ``text`` for ``status_delay`` (what just happened, e.g. "on the clipboard"),
        then the standing notice again, if any."""
        self._status = text
        self.show_message(text)
        self.status_delay.start()

    def _end_status(self) -> None:
        if self.message.isVisible() and self.message.text() == self._status:
            self.show_message("")
        self._status = ""

    def _place_message(self) -> None:
        """The notice across the top of the pad, as tall as its text (at most the pad)."""
        w = self.pad.width()
        self.message.setGeometry(0, 0, w, min(self.message.heightForWidth(w), self.pad.height()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.pad and event.type() == QEvent.Type.Resize:
            self._place_message()
        return super().eventFilter(watched, event)

    def set_notice(self, text: str) -> None:
        """A notice that stays until the next commit (a bad settings file, the clipboard)."""
        if text == self._notice:
            return
        shown = self.message.text() if self.message.isVisible() else ""
        old, self._notice = self._notice, text
        if not shown or shown == old:
            self.show_message("")

    def _show_inserter_notice(self, inserter: Inserter) -> None:
        # Standing until the first commit (a model loading meanwhile does not hide it); each
        # commit then says where the character went (issue 23).
        text = inserter.notice(self.lang)
        if text:
            self.set_notice(text)

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
        self.resize(self.minimumSizeHint())  # the writing area exactly as large as set

    def fit_pad(self, side: int) -> None:
        """Make the writing area ``side`` px square now: the window grows or shrinks to fit
        (issue 23: it kept its size, so the area did not follow the setting)."""
        self.pad.set_side(side)
        layout = self.layout()
        if layout is not None:
            layout.activate()  # the new minimum size before resizing to it
        self.resize(self.minimumSizeHint().expandedTo(self.minimumSize()))

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

    # ------------------------------------------------------------------ settings
    def save(self, tell: bool = False) -> None:
        """Save the settings; when they cannot be, log it (once for a refusal) and, if
        ``tell``, say so in a notice (the user changed something in the dialog)."""
        if self.settings.auto_commit == "learn":
            self.settings.pauses_ms = self.controller.pauses.pauses
        found = self.settings_read
        if found is not None and found.keep_out is not None:
            if not self._refusal_logged:
                logger.warning("settings not saved: %s", found.keep_out)
                self._refusal_logged = True
            if tell:
                self.set_notice(
                    tr("settings_not_saved", self.lang, why=describe_read(found, self.lang))
                )
            return
        try:
            save_settings(self.settings, self.settings_path)
        except NotRegularFile as e:  # became one after the start: still not ours to replace
            logger.warning("settings not saved: %s", e)
            if tell:
                self.set_notice(
                    tr(
                        "settings_not_saved",
                        self.lang,
                        why=tr(
                            "settings_not_file",
                            self.lang,
                            path=e.path,
                            kind=kind_name(e.kind, self.lang),
                        ),
                    )
                )
        except OSError as e:
            logger.warning("cannot save settings: %s", e)
            if tell:  # the reason (English) is in the log (issue 23)
                self.set_notice(
                    tr("settings_save_failed", self.lang, path=self.settings_path or default_path())
                )

    def open_settings(self) -> None:
        """The settings dialog; afterwards the focus goes back to the application that had it
        (the dialog took it; issue 15)."""
        from ime.insert import available_modes, describe_chain
        from ime.settings_dialog import SettingsDialog

        self.focus.remember()
        dialog = SettingsDialog(
            self.settings, available_modes(), describe_chain, self, memory=self.memory
        )
        accepted = dialog.exec()
        dialog.deleteLater()
        if accepted:
            self.apply_settings(dialog.result_settings())
        # The dialog's unmap reaches the server over Qt's connection, the focus change over
        # ours: once at once and once later, so it is not undone by a late revert-to-parent.
        QTimer.singleShot(0, self.focus.restore)
        QTimer.singleShot(250, self.focus.restore)

    def apply_settings(self, s: Settings) -> None:
        """Use new settings at once and save them."""
        old = self.settings
        s.pauses_ms = self.controller.pauses.pauses
        self.settings = s
        self.pad.set_ink_colour(s.ink_colour)
        if s.pad_size != old.pad_size:
            self.fit_pad(s.pad_size)
        self.controller.set_auto_commit(s.auto_commit, s.auto_commit_ms)
        if self.memory is not None:
            self.memory.set_enabled(s.learn_handwriting)
        lang = resolve_language(s.language)
        if lang != self.lang:
            self.lang = self.controller.language = lang
            if self.memory is not None:
                self.memory.language = lang
            install_qt_translator(lang)
            self._retranslate(lang)
        if s.insert_mode != old.insert_mode and self._make_inserter is not None:
            self.controller.inserter = self._make_inserter(s.insert_mode)
            self._show_inserter_notice(self.controller.inserter)
        self.save(tell=True)

    def _retranslate(self, lang: str) -> None:
        self.setWindowTitle(tr("app_name", lang))
        self.undo_button.setText(tr("undo", lang))
        self.clear_button.setText(tr("clear", lang))
        self.settings_button.setText(tr("settings", lang))
        self.keys.retranslate(lang)
        if self.tray is not None:
            retranslate_tray(self.tray, lang)

    # ------------------------------------------------------------------ show / quit
    def bring_forward(self) -> None:
        """Show the pad above other windows (a second start asked for it), without taking
        the focus from the application being written into."""
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()

    def toggle(self) -> None:
        self.setVisible(not self.isVisible())

    def quit(self) -> None:
        self.save_delay.stop()
        self.save_geometry()
        self.quitting.emit()
        if self.memory is not None:
            self.memory.flush()  # the user's words learned since the last save
        self.controller.service.wait(2000)
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def closeEvent(self, e: QCloseEvent) -> None:
        if self.tray is not None and self.tray.isVisible():
            self.save_geometry()
            self.hide()
            e.ignore()
            return
        # A tool window does not count for Qt's quit-on-last-window-closed: without a tray
        # icon to come back through, closing it must end the process (issue 15).
        e.accept()
        self.quit()
