"""Xiezi's pad window in its own process, for the end-to-end test under Xvfb.

Run with DISPLAY set and the insertion mode as argv[1]: shows ``ime.window.MainWindow``
(non-focusable, stay-on-top) at x=500, y=300 with argv[2] as its first candidate, and prints
one JSON line per change: {"window", "visible", "active", "cell" (global centre of the first
candidate cell), "committed", "message", "inserter", "t", "insert_t"} (times are
time.monotonic(), the system-wide clock; "insert_t" lists when each insert() call began;
"dialog": whether the Settings dialog is open; "pad" and "size": the writing area's and the
window's width and height). An optional argv[3] is the settings file (read at start, as
``xiezi`` does). Commands on stdin: "state", "reset" (show the candidates again), "settings"
(open the Settings dialog, as its button does), "pad_size N" (apply a pad size as the dialog's
OK does), "quit".
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from stdin_commands import read_commands  # a sibling: these files run as scripts

from ime.associations import Associations
from ime.insert import InsertConfig, Inserter, Key, choose_inserter
from ime.qt import QApplication, QTimer
from ime.recognition import RecognitionService
from ime.settings import Settings, read_settings_file
from ime.window import MainWindow


class Timed:
    """Passes calls to the real inserter, noting when each insert() began."""

    def __init__(self, inner: Inserter) -> None:
        self.inner, self.name = inner, inner.name
        self.starts: list[float] = []

    def insert(self, text: str) -> bool:
        self.starts.append(time.monotonic())
        return self.inner.insert(text)

    def key(self, name: Key) -> bool:
        return self.inner.key(name)

    def notice(self, lang: str) -> str:
        return self.inner.notice(lang)


def main() -> int:
    mode, first = sys.argv[1], sys.argv[2]
    app = QApplication(sys.argv[:1])
    inner = choose_inserter(mode, config=InsertConfig(restore_after_s=0.2))
    inserter = Timed(inner)
    if len(sys.argv) > 3:
        path = Path(sys.argv[3])
        settings = read_settings_file(path).settings
    else:
        path = Path(tempfile.mkdtemp(prefix="xiezi-pad-")) / "settings.json"
        settings = Settings(geometry=[500, 300, 420, 470])
    window = MainWindow(
        settings, RecognitionService(), inserter, Associations(), settings_path=path, tray=False
    )
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
            "t": time.monotonic(),
            "insert_t": inserter.starts,
            "dialog": QApplication.activeModalWidget() is not None,
            "pad": [window.pad.width(), window.pad.height()],
            "size": [window.width(), window.height()],
        }
        print(json.dumps(state, ensure_ascii=False), flush=True)

    def on_commit(text: str) -> None:
        # Reported after the inserter returned; "t" of the commit itself is taken first.
        committed.append(text)
        report()

    def command(line: str) -> None:
        if line == "reset":  # the first candidates again (a commit shows associations)
            window.bar.set_items([first, "中", "文"], "candidates")
            report()
        elif line == "state":
            report()
        elif line == "settings":  # modal: later commands run in the dialog's event loop
            QTimer.singleShot(300, report)
            window.open_settings()
            report()
        elif line.startswith("pad_size "):
            window.apply_settings(replace(window.settings, pad_size=int(line.split()[1])))
            QTimer.singleShot(500, report)  # once the window manager resized the window
        elif line == "quit":
            app.quit()

    window.controller.committed.connect(on_commit)
    window.show()
    window.bar.set_items([first, "中", "文"], "candidates")
    QTimer.singleShot(0, report)
    commands = read_commands(command)  # noqa: F841 (kept alive while the app runs)
    rc = app.exec()
    close = getattr(inner, "close", None)
    if close is not None:
        close()
    return int(rc)


if __name__ == "__main__":
    sys.exit(main())
