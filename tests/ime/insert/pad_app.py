"""Xiezi's pad window in its own process, for the end-to-end test under Xvfb.

Run with DISPLAY set and the insertion mode as argv[1]: shows ``ime.window.MainWindow``
(non-focusable, stay-on-top) at x=500, y=300 with argv[2] as its first candidate, and prints
one JSON line per change: {"window", "visible", "active", "cell" (global centre of the first
candidate cell), "committed", "message", "inserter"}. Commands on stdin: "state", "quit".
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from pathlib import Path

from ime.associations import Associations
from ime.insert import InsertConfig, choose_inserter
from ime.qt import QApplication, QObject, Qt, QTimer, Signal
from ime.recognition import RecognitionService
from ime.settings import Settings
from ime.window import MainWindow


class Commands(QObject):
    received = Signal(str)


def main() -> int:
    mode, first = sys.argv[1], sys.argv[2]
    app = QApplication(sys.argv[:1])
    inserter = choose_inserter(mode, config=InsertConfig(key_delay_s=0.008, restore_after_s=0.2))
    settings = Settings(geometry=[500, 300, 420, 470])
    folder = tempfile.mkdtemp(prefix="xiezi-pad-")
    window = MainWindow(settings, RecognitionService(), inserter, Associations(),
                        settings_path=Path(folder) / "settings.json", tray=False)
    committed: list[str] = []

    def report(*_: object) -> None:
        centre = window.bar.cell_rect(0).center().toPoint()
        g = window.bar.mapToGlobal(centre)
        state = {
            "window": int(window.winId()),
            "visible": window.isVisible(),
            "active": window.isActiveWindow(),
            "cell": [g.x(), g.y()],
            "committed": committed,
            "message": window.message.text() if window.message.isVisible() else "",
            "inserter": inserter.name,
        }
        print(json.dumps(state, ensure_ascii=False), flush=True)

    def on_commit(text: str) -> None:
        committed.append(text)
        report()

    def command(line: str) -> None:
        if line == "state":
            report()
        elif line == "quit":
            app.quit()

    commands = Commands()
    commands.received.connect(command, Qt.ConnectionType.QueuedConnection)

    def read_stdin() -> None:
        for line in sys.stdin:
            commands.received.emit(line.strip())
        commands.received.emit("quit")

    window.controller.committed.connect(on_commit)
    window.show()
    window.bar.set_items([first, "中", "文"], "candidates")
    QTimer.singleShot(0, report)
    threading.Thread(target=read_stdin, daemon=True).start()
    rc = app.exec()
    close = getattr(inserter, "close", None)
    if close is not None:
        close()
    return int(rc)


if __name__ == "__main__":
    sys.exit(main())
