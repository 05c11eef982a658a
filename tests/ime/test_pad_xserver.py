"""Under a real X server (Xvfb): the pad window never takes the keyboard focus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.pad_process import PadProcess, pad_args, with_lang
from tests.support.xharness import Xvfb

pytestmark = [
    pytest.mark.xserver,
    pytest.mark.skipif(
        not (shutil.which("Xvfb") and shutil.which("xdotool") and shutil.which("xprop")),
        reason="needs Xvfb, xdotool and xprop",
    ),
]

FIELD = (
    "from PySide6.QtWidgets import QApplication, QLineEdit\n"
    "app = QApplication(['field']); w = QLineEdit(); w.setWindowTitle('field')\n"
    "w.show(); w.activateWindow(); w.setFocus(); print('up', flush=True); app.exec()\n"
)


def _x(display: str, *cmd: str) -> str:
    env = dict(os.environ, DISPLAY=display)
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=20, check=False
    ).stdout.strip()


def _wait_window(display: str, name: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ids = _x(display, "xdotool", "search", "--onlyvisible", "--name", name).split()
        if ids:
            return ids[0]
        time.sleep(0.1)  # polling another process: there is no signal to wait on
    raise AssertionError(f"no window named {name!r} appeared")


def test_pad_stays_on_top_and_leaves_the_focus_where_it_was(xvfb: Xvfb, tmp_path: Path) -> None:
    display = xvfb.display
    env = with_lang(xvfb.env(), "zh_CN.UTF-8")  # title 写字
    field = subprocess.Popen(
        [sys.executable, "-c", FIELD],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    pad = None
    try:
        field_id = _wait_window(display, "^field$")
        _x(display, "xdotool", "windowfocus", "--sync", field_id)
        assert _x(display, "xdotool", "getwindowfocus") == field_id
        pad = PadProcess(pad_args(tmp_path / "s.json", tmp_path / "none.xiezi"), env)
        pad_id = _wait_window(display, "^写字$")
        props = _x(display, "xprop", "-id", pad_id, "WM_HINTS", "_NET_WM_STATE")
        assert "accepts input or input focus: False" in props
        assert "_NET_WM_STATE_ABOVE" in props
        # Write on the pad with the X pointer: the focus stays in the field.
        geo = _x(display, "xdotool", "getwindowgeometry", "--shell", pad_id)
        g = dict(line.split("=") for line in geo.splitlines())
        x, y = int(g["X"]) + int(g["WIDTH"]) // 2, int(g["Y"]) + int(g["HEIGHT"]) // 2
        _x(
            display,
            "xdotool",
            "mousemove",
            "--sync",
            str(x),
            str(y),
            "mousedown",
            "1",
            "mousemove",
            "--sync",
            str(x + 40),
            str(y + 30),
            "mouseup",
            "1",
        )
        _x(display, "xdotool", "sleep", "0.3")  # let both clients handle the events
        assert _x(display, "xdotool", "getwindowfocus") == field_id
    finally:
        if pad is not None:
            pad.close()
        field.terminate()
        field.wait(10)
