"""Xiezi's pad window with the IBus link, for the IBus end-to-end test (run with the venv's
python under Xvfb, with the test's private D-Bus and XDG_RUNTIME_DIR).

argv[1] is the candidate to commit. Prints a JSON line per change: {"visible", "linked"
(connected to the engine's socket), "active" (Xiezi is the active IBus engine with a focused
client), "inserter", "committed", "via" (the inserter's name at each commit)}. Commands on
stdin: "state", "commit" (commit the first candidate, as a click on it does), "quit".
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))
from stdin_commands import read_commands

from ime.app import with_ibus
from ime.associations import Associations
from ime.ibus.link import IBusLink
from ime.qt import QApplication, QTimer
from ime.recognition import RecognitionService
from ime.settings import Settings
from ime.window import MainWindow


def main() -> int:
    first = sys.argv[1]
    app = QApplication(sys.argv[:1])
    link = IBusLink(retry_ms=200, parent=app)
    inserter = with_ibus(link)("auto")
    path = Path(tempfile.mkdtemp(prefix="xiezi-pad-")) / "settings.json"
    window = MainWindow(
        Settings(geometry=[500, 300, 420, 470]),
        RecognitionService(),
        inserter,
        Associations(),
        settings_path=path,
        tray=False,
    )
    committed: list[str] = []
    via: list[str] = []

    def report(*_: object) -> None:
        print(
            json.dumps(
                {
                    "visible": window.isVisible(),
                    "linked": link.connected,
                    "active": link.active,
                    "inserter": inserter.name,
                    "committed": committed,
                    "via": via,
                },
                ensure_ascii=False,
            ),
            flush=True,
        )

    def command(line: str) -> None:
        if line == "state":
            report()
        elif line == "commit":  # as a click on the first candidate
            window.bar.choose(0)
        elif line == "quit":
            app.quit()

    def on_commit(text: str) -> None:
        committed.append(text)
        via.append(inserter.name)
        report()

    window.controller.committed.connect(on_commit)
    link.changed.connect(report)
    link.shown.connect(lambda on: window.bring_forward() if on else window.hide())
    link.shown.connect(lambda _on: QTimer.singleShot(100, report))
    window.show()
    window.bar.set_items([first, "中", "文"], "candidates")
    QTimer.singleShot(0, report)
    commands = read_commands(command)  # noqa: F841 (kept alive while the app runs)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
