"""Delay: a restartable single-shot timer whose interval tests can set to zero."""

from __future__ import annotations

from ime.qt import QObject, QTimer, Signal


class Delay(QObject):
    """Fires ``timeout`` once, ``ms`` milliseconds after the last ``start()``.

    ``ms = 0`` fires on the next turn of the event loop (what tests use); ``enabled = False``
    makes ``start()`` do nothing (an auto-commit delay of 0 in the settings means "off"; that
    mapping lives with the caller, not here). No timer runs while idle.
    """

    timeout = Signal()

    def __init__(self, ms: int, enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.timeout)
        self.enabled = enabled
        self.ms = ms

    @property
    def ms(self) -> int:
        return self._timer.interval()

    @ms.setter
    def ms(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"delay must be >= 0 ms, got {value}")
        self._timer.setInterval(int(value))

    def start(self) -> None:
        if self.enabled:
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.isActive()
