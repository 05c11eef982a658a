"""Commands on stdin for the harness apps (field_app.py, pad_app.py, run as scripts): one per
line, each handled in Qt's thread; the end of stdin sends "quit"."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal


class _Commands(QObject):
    received = Signal(str)


def read_commands(handle: Callable[[str], None]) -> QObject:
    """Start reading stdin; keep the returned object alive as long as the app runs."""
    commands = _Commands()
    commands.received.connect(handle, Qt.ConnectionType.QueuedConnection)

    def read() -> None:
        for line in sys.stdin:
            commands.received.emit(line.strip())
        commands.received.emit("quit")

    threading.Thread(target=read, daemon=True).start()
    return commands
