"""Issue 23: one pad. A second ``xiezi`` brings the running pad forward, says so and exits 0
within 5 s while the first keeps running; a socket left by a crashed pad blocks nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ime.i18n import tr
from tests.support.xharness import Xvfb, XvfbUnavailable

pytestmark = [pytest.mark.gui]

ROOT = Path(__file__).resolve().parents[2]


class Pad:
    """``python -m ime.app`` in its own process, its stderr collected line by line."""

    def __init__(self, env: dict[str, str], args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ime.app", "-v", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def wait_line(self, part: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(part in line for line in self.lines):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"no {part!r} from the pad: {self.lines[-8:]}")
            time.sleep(0.05)  # another process: nothing to wait on but its output

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real X server with openbox when there is one (the pad is then raised on a screen),
    else the offscreen platform."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "WAYLAND_DISPLAY")
    }
    base.update(LANG="C.UTF-8", HOME=str(tmp_path_factory.mktemp("home")))
    try:
        server = Xvfb()
    except XvfbUnavailable:
        yield {**base, "QT_QPA_PLATFORM": "offscreen", "DISPLAY": ""}
        return
    wm = None
    if shutil.which("openbox"):
        wm = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env=server.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    yield {**base, **server.env()}
    if wm is not None:
        wm.terminate()
        wm.wait(10)
    server.close()


def start_again(env: dict[str, str], args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ime.app", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done, time.monotonic() - t0


def visible_pads(env: dict[str, str]) -> list[str]:
    if not env.get("DISPLAY") or shutil.which("xdotool") is None:
        return []
    return subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "^Xiezi$"],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout.split()


def test_a_second_start_brings_the_pad_forward_and_exits(env, tmp_path: Path) -> None:
    args = [
        "--no-tray",
        "--insert",
        "clipboard",
        "--settings",
        str(tmp_path / "s.json"),
        "--model",
        str(tmp_path / "none.xiezi"),
    ]
    first = Pad(env, args)
    try:
        first.wait_line("listening on")
        on_screen = bool(env.get("DISPLAY")) and shutil.which("xdotool") is not None
        if on_screen:
            deadline = time.monotonic() + 20
            while not visible_pads(env) and time.monotonic() < deadline:
                time.sleep(0.1)
            pad_window = visible_pads(env)[0]
            subprocess.run(
                ["xdotool", "windowminimize", pad_window], env=env, timeout=10, check=True
            )
            deadline = time.monotonic() + 10
            while visible_pads(env) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not visible_pads(env)
        done, took = start_again(env, args)
        assert done.returncode == 0, done.stderr
        assert took < 5
        assert tr("already_running", "en") in done.stdout
        first.wait_line("another start asked for the pad", 10)
        assert first.proc.poll() is None  # the first keeps running
        if on_screen:
            deadline = time.monotonic() + 10
            while not visible_pads(env) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert visible_pads(env)  # brought forward
        # Another settings file is another pad: it starts.
        other = Pad(env, [*args[:-3], str(tmp_path / "other.json"), *args[-2:]])
        try:
            other.wait_line("listening on")
        finally:
            other.stop()
    finally:
        first.stop()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="a crash needs SIGKILL")
def test_a_crashed_pads_socket_does_not_block_a_new_start(env, tmp_path: Path) -> None:
    args = [
        "--no-tray",
        "--insert",
        "clipboard",
        "--settings",
        str(tmp_path / "s.json"),
        "--model",
        str(tmp_path / "none.xiezi"),
    ]
    crashed = Pad(env, args)
    crashed.wait_line("listening on")
    socket = next(line for line in crashed.lines if "listening on" in line).split()[-1]
    crashed.proc.send_signal(signal.SIGKILL)
    crashed.stop()
    if sys.platform != "win32":
        assert Path(socket).exists()  # left behind
    fresh = Pad(env, args)
    try:
        fresh.wait_line("listening on")
        done, took = start_again(env, args)
        assert done.returncode == 0 and took < 5 and fresh.proc.poll() is None
    finally:
        fresh.stop()


def test_the_second_start_says_so_in_chinese(env, tmp_path: Path) -> None:
    args = [
        "--no-tray",
        "--insert",
        "clipboard",
        "--settings",
        str(tmp_path / "s.json"),
        "--model",
        str(tmp_path / "none.xiezi"),
    ]
    zh = {**env, "LANG": "zh_CN.UTF-8"}
    first = Pad(zh, args)
    try:
        first.wait_line("listening on")
        done, _ = start_again(zh, args)
        assert done.returncode == 0 and tr("already_running", "zh") in done.stdout
    finally:
        first.stop()
