"""A focused text field in its own process, for the end-to-end insertion tests under Xvfb.

Run with DISPLAY set: shows a QLineEdit, gives it the focus, and prints one JSON line per
change of its text or focus: {"text", "focus", "active", "window", "t"} (t: time.monotonic(),
the system-wide clock, so another process can time the arrival). Commands on stdin, one per
line: "clear" empties the field, "state" prints the state again, "quit" exits.
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtWidgets import QApplication, QLineEdit
from stdin_commands import read_commands  # a sibling: these files run as scripts


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

    field.textChanged.connect(report)
    app.focusChanged.connect(report)
    app.applicationStateChanged.connect(report)
    field.show()
    field.raise_()
    field.activateWindow()
    field.setFocus()
    commands = read_commands(command)  # noqa: F841 (kept alive while the app runs)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
