"""A focused text field in its own process, for the end-to-end insertion tests under Xvfb.

Run with DISPLAY set: shows a QLineEdit, gives it the focus, and prints one JSON line per
change of its text or focus: {"text", "focus", "active", "window", "t"} (t: time.monotonic(),
the system-wide clock, so another process can time the arrival). Commands on stdin, one per
line: "clear" empties the field, "state" prints the state again, "quit" exits.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QLineEdit


class Commands(QObject):
    received = Signal(str)


def main() -> int:
    app = QApplication(sys.argv[:1])
    field = QLineEdit()
    field.setWindowTitle("xiezi-test-field")
    field.resize(400, 40)
    field.move(50, 50)

    def report(*_: object) -> None:
        state = {
            "text": field.text(),
            "focus": field.hasFocus(),
            "active": field.isActiveWindow(),
            "window": int(field.winId()),
            "t": time.monotonic(),
        }
        print(json.dumps(state, ensure_ascii=False), flush=True)

    def command(line: str) -> None:
        if line == "clear":
            field.clear()
        elif line == "state":
            report()
        elif line == "quit":
            app.quit()

    commands = Commands()
    commands.received.connect(command, Qt.ConnectionType.QueuedConnection)

    def read_stdin() -> None:
        for line in sys.stdin:
            commands.received.emit(line.strip())
        commands.received.emit("quit")

    field.textChanged.connect(report)
    app.focusChanged.connect(report)
    app.applicationStateChanged.connect(report)
    field.show()
    field.raise_()
    field.activateWindow()
    field.setFocus()
    threading.Thread(target=read_stdin, daemon=True).start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
