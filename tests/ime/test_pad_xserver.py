"""Under a real X server (Xvfb): the pad window never takes the keyboard focus."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.xserver

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture
def display() -> Iterator[str]:
    if not (shutil.which("Xvfb") and shutil.which("xdotool") and shutil.which("xprop")):
        pytest.skip("needs Xvfb, xdotool and xprop")
    r, w = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(w),
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    # Read up to the newline before closing: Xvfb writes the number and the newline apart
    # and exits ("Cannot write display number") if the pipe is closed in between.
    out, deadline = b"", time.monotonic() + 15
    while not out.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(r, 32) if ready else b""
        if not chunk:
            break
        out += chunk
    os.close(r)
    number = out.decode().strip()
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


def test_pad_stays_on_top_and_leaves_the_focus_where_it_was(display: str, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WAYLAND_DISPLAY", "LC_ALL", "LC_MESSAGES", "LANGUAGE")
    }
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", LANG="zh_CN.UTF-8")  # title 写字
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
        pad = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ime.app",
                "--no-tray",
                "--insert",
                "clipboard",
                "--settings",
                str(tmp_path / "s.json"),
                "--model",
                str(tmp_path / "none.xiezi"),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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
        for p in (pad, field):
            if p is not None:
                p.terminate()
                p.wait(10)
