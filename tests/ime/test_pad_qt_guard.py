"""PySide6 6.12.0 on Python 3.11 leaks references to None/True; ime.qt must keep the pad alive."""

from __future__ import annotations

import subprocess
import sys


def test_many_void_calls_and_emits_do_not_abort_the_interpreter() -> None:
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from ime.qt import QApplication, QObject, QPainterPath, QWidget, Signal\n"
        "class O(QObject):\n"
        "    s = Signal()\n"
        "app = QApplication([]); w = QWidget(); o = O(); path = QPainterPath()\n"
        "for i in range(30000):\n"
        "    w.update(); o.s.emit(); path.lineTo(i, i)\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"
