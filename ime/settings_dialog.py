"""SettingsDialog: edit the Settings (insertion mode, auto-commit, pad, ink, language)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ime.i18n import tr
from ime.qt import (
    QColor,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)
from ime.settings import Settings


class SettingsDialog(QDialog):
    """A small form over a copy of the settings; ``result_settings()`` after Ok.

    ``modes`` are the insertion modes offered (``ime.insert.available_modes()``) and
    ``describe(mode)`` the line saying what that mode tries here, in order
    (``ime.insert.describe_chain``); it follows the mode chosen.
    """

    def __init__(self, settings: Settings, modes: list[str], describe: Callable[[str], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = replace(settings)
        lang = settings.language
        self.setWindowTitle(tr("settings_title", lang))
        form = QFormLayout(self)

        self.mode = QComboBox(self)
        shown = modes if settings.insert_mode in modes else [*modes, settings.insert_mode]
        self.mode.addItems(shown)
        self.mode.setCurrentText(settings.insert_mode)
        form.addRow(tr("insert_mode", lang), self.mode)
        self.chain = QLabel(self)
        self.chain.setWordWrap(True)
        form.addRow(tr("insert_chain", lang), self.chain)
        self._describe = describe
        self.mode.currentTextChanged.connect(self._show_chain)
        self._show_chain(self.mode.currentText())

        self.delay = QSpinBox(self)
        self.delay.setRange(0, 10_000)
        self.delay.setSingleStep(100)
        self.delay.setSuffix(tr("ms", lang))
        self.delay.setSpecialValueText(tr("auto_commit_off", lang))
        self.delay.setValue(settings.auto_commit_ms)
        form.addRow(tr("auto_commit", lang), self.delay)

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
        self.language.addItem(tr("lang_zh", lang), "zh")
        self.language.addItem(tr("lang_en", lang), "en")
        self.language.setCurrentIndex(0 if lang == "zh" else 1)
        form.addRow(tr("language", lang), self.language)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _show_chain(self, mode: str) -> None:
        try:
            self.chain.setText(self._describe(mode))
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
            insert_mode=self.mode.currentText(),
            auto_commit_ms=self.delay.value(),
            pad_size=self.pad_size.value(),
            ink_colour=self.colour.text(),
            language=str(self.language.currentData()),
        )
