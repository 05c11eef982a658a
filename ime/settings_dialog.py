"""SettingsDialog: edit the Settings (insertion mode, auto-commit, pad, ink, language)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ime.i18n import resolve_language, tr
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
from ime.settings import AUTO_COMMIT, AUTO_COMMIT_MS, LANGUAGE_CHOICES, Settings


class SettingsDialog(QDialog):
    """A small form over a copy of the settings; ``result_settings()`` after Ok.

    ``modes`` are the insertion modes offered (``ime.insert.available_modes()``) and
    ``describe(mode, lang)`` the line saying what that mode tries here, in order
    (``ime.insert.describe_chain``); it follows the mode chosen. Every text is in the pad's
    language, the OK / Cancel buttons included.
    """

    def __init__(
        self,
        settings: Settings,
        modes: list[str],
        describe: Callable[..., str],
        parent: QWidget | None = None,
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

        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(ok | cancel, self)
        # Set here too: Qt's translation (ime.i18n.install_qt_translator) may be missing.
        self.buttons.button(ok).setText(tr("ok", lang))
        self.buttons.button(cancel).setText(tr("cancel", lang))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

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
        )
