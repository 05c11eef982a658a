"""SettingsDialog: edit the Settings (insertion mode, auto-commit, pad, ink, language, the
user's memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ime.i18n import resolve_language, tr
from ime.qt import (
    QCheckBox,
    QColor,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)
from ime.settings import AUTO_COMMIT, AUTO_COMMIT_MS, LANGUAGE_CHOICES, Settings

if TYPE_CHECKING:
    from ime.memory_store import MemoryStore


class SettingsDialog(QDialog):
    """A small form over a copy of the settings; ``result_settings()`` after Ok.

    ``modes`` are the insertion modes offered (``ime.insert.available_modes()``) and
    ``describe(mode, lang)`` the line saying what that mode tries here, in order
    (``ime.insert.describe_chain``); it follows the mode chosen. Every text is in the pad's
    language, the OK / Cancel buttons included.

    ``memory`` (issue 28): the user's memory, whose state and count of known characters are
    shown under "learn my handwriting", and which "forget everything" empties at once, once
    the user confirmed (``confirm_forget``, a yes/no question; tests replace it).
    """

    def __init__(
        self,
        settings: Settings,
        modes: list[str],
        describe: Callable[..., str],
        parent: QWidget | None = None,
        memory: MemoryStore | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = replace(settings)
        self._lang = lang = resolve_language(settings.language)
        self.setWindowTitle(tr("settings_title", lang))
        form = QFormLayout(self)

        self.mode = QComboBox(self)
        shown = modes if settings.insert_mode in modes else [*modes, settings.insert_mode]
        for m in shown:
            self.mode.addItem(tr(f"mode_{m}", lang), m)
        self.mode.setCurrentIndex(shown.index(settings.insert_mode))
        form.addRow(tr("insert_mode", lang), self.mode)
        self.chain = QLabel(self)
        self.chain.setWordWrap(True)
        form.addRow(tr("insert_chain", lang), self.chain)
        self._describe = describe
        self.mode.currentIndexChanged.connect(lambda _: self._show_chain(self.mode_value()))
        self._show_chain(self.mode_value())

        self.auto_commit = QComboBox(self)
        for choice in AUTO_COMMIT:
            self.auto_commit.addItem(tr(f"auto_commit_{choice}", lang), choice)
        self.auto_commit.setCurrentIndex(AUTO_COMMIT.index(settings.auto_commit))
        form.addRow(tr("auto_commit", lang), self.auto_commit)
        self.delay = QSpinBox(self)
        self.delay.setRange(*AUTO_COMMIT_MS)
        self.delay.setSingleStep(100)
        self.delay.setSuffix(tr("ms", lang))
        self.delay.setValue(settings.auto_commit_ms)
        form.addRow(tr("auto_commit_ms", lang), self.delay)
        self.auto_commit.currentIndexChanged.connect(self._enable_delay)
        self._enable_delay()

        self.pad_size = QSpinBox(self)
        self.pad_size.setRange(120, 2000)
        self.pad_size.setSingleStep(20)
        self.pad_size.setSuffix(tr("px", lang))
        self.pad_size.setValue(settings.pad_size)
        form.addRow(tr("pad_size", lang), self.pad_size)

        self.colour = QPushButton(settings.ink_colour, self)
        self.colour.clicked.connect(self._pick_colour)
        form.addRow(tr("ink_colour", lang), self.colour)

        self.language = QComboBox(self)
        for choice in LANGUAGE_CHOICES:
            self.language.addItem(tr(f"lang_{choice}", lang), choice)
        self.language.setCurrentIndex(LANGUAGE_CHOICES.index(settings.language))
        form.addRow(tr("language", lang), self.language)
        self._memory_rows(form, settings, memory)

        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(ok | cancel, self)
        # Set here too: Qt's translation (ime.i18n.install_qt_translator) may be missing.
        self.buttons.button(ok).setText(tr("ok", lang))
        self.buttons.button(cancel).setText(tr("cancel", lang))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _memory_rows(
        self, form: QFormLayout, settings: Settings, memory: MemoryStore | None
    ) -> None:
        """Learn my handwriting: on/off, what the memory knows (or why it is off), where it
        is kept, and "forget everything"."""
        lang = self._lang
        self._memory = memory
        self.learn = QCheckBox(tr("learn_handwriting", lang), self)
        self.learn.setChecked(settings.learn_handwriting)
        form.addRow(self.learn)
        self.memory_state = QLabel(self)
        self.memory_state.setWordWrap(True)
        form.addRow(self.memory_state)
        self.forget = QPushButton(tr("forget_all", lang), self)
        self.forget.clicked.connect(self._forget)
        form.addRow(self.forget)
        self.forget.setEnabled(memory is not None)
        self.learn.toggled.connect(lambda _: self.show_memory())
        self.show_memory()

    def show_memory(self) -> None:
        """The memory's line: how many characters it knows, or why it learns nothing."""
        lang, memory = self._lang, self._memory
        if not self.learn.isChecked() or memory is None:
            text = tr("memory_off", lang)
        elif memory.state == "ready":
            text = tr("memory_knows", lang, n=memory.characters() or 0)
        else:
            state = "waiting" if memory.state == "off" else memory.state
            text = tr(f"memory_{state}", lang)
        if memory is not None:
            text += "\n" + tr("memory_where", lang, path=memory.path)
        self.memory_state.setText(text)

    def confirm_forget(self) -> bool:
        """Ask before forgetting everything."""
        lang = self._lang
        box = QMessageBox(QMessageBox.Icon.Question, tr("forget_title", lang), "", parent=self)
        box.setText(tr("forget_confirm", lang))
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        box.setStandardButtons(yes | no)
        box.setDefaultButton(no)
        box.button(yes).setText(tr("forget_all", lang).rstrip("…"))
        box.button(no).setText(tr("cancel", lang))
        return box.exec() == yes

    def _forget(self) -> None:
        if self._memory is not None and self.confirm_forget():
            self.forget.setEnabled(False)
            self._memory.forget(done=self._forgotten)

    def _forgotten(self) -> None:
        self.forget.setEnabled(True)
        self.show_memory()

    def mode_value(self) -> str:
        return str(self.mode.currentData())

    def _enable_delay(self) -> None:
        self.delay.setEnabled(self.auto_commit.currentData() == "fixed")

    def _show_chain(self, mode: str) -> None:
        try:
            self.chain.setText(self._describe(mode, lang=self._lang))
        except ValueError as e:  # a mode this machine does not know
            self.chain.setText(str(e))

    def _pick_colour(self) -> None:
        c = QColorDialog.getColor(QColor(self.colour.text()), self)
        if c.isValid():
            self.colour.setText(c.name())

    def result_settings(self) -> Settings:
        """The settings as edited (the window geometry is carried over unchanged)."""
        return replace(
            self._settings,
            insert_mode=self.mode_value(),
            auto_commit=str(self.auto_commit.currentData()),
            auto_commit_ms=self.delay.value(),
            pad_size=self.pad_size.value(),
            ink_colour=self.colour.text(),
            language=str(self.language.currentData()),
            learn_handwriting=self.learn.isChecked(),
        )
