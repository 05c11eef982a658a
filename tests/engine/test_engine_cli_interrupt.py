"""Ctrl-C on ``python -m engine recognize`` stops it quietly: no traceback (issue 22)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.engine_fixtures import sample_ink

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_while_waiting_for_input_stops_without_a_traceback(tiny_package: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "recognize", "-", "--model", str(tiny_package)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((sample_ink(1).to_json() + "\n").encode())
    proc.stdin.flush()
    first = proc.stdout.readline()  # answered: the model is loaded, now waiting for input
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert b'"candidates"' in first
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"interrupted" in err
