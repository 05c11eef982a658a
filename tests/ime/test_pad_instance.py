"""Issue 23: one pad. A second ``xiezi`` brings the running pad forward, says so and exits 0
within 5 s while the first keeps running; a socket left by a crashed pad blocks nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest

from ime.i18n import tr
from tests.support.pad_process import PadProcess, pad_args, run_python, with_lang
from tests.support.xharness import Xvfb, XvfbUnavailable, openbox, wait_until

pytestmark = [pytest.mark.gui]


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real X server with openbox when there is one (the pad is then raised on a screen),
    else the offscreen platform."""
    base = with_lang(os.environ, "C.UTF-8", drop=["WAYLAND_DISPLAY"])
    base["HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        server = Xvfb()
    except XvfbUnavailable:
        yield {**base, "QT_QPA_PLATFORM": "offscreen", "DISPLAY": ""}
        return
    with openbox(server, wait=False) if shutil.which("openbox") else nullcontext():
        yield {**base, **server.env()}
    server.close()


def start_again(env: dict[str, str], args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    done = run_python(["-m", "ime.app", *args], env, timeout_s=30)
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
    args = pad_args(tmp_path / "s.json", tmp_path / "none.xiezi")
    first = PadProcess(args, env)
    try:
        first.wait_line("listening on")
        on_screen = bool(env.get("DISPLAY")) and shutil.which("xdotool") is not None
        if on_screen:
            wait_until(lambda: visible_pads(env), 20, "the pad on the screen")
            pad_window = visible_pads(env)[0]
            subprocess.run(
                ["xdotool", "windowminimize", pad_window], env=env, timeout=10, check=True
            )
            wait_until(lambda: not visible_pads(env), 10, "the pad minimized")
        done, took = start_again(env, args)
        assert done.returncode == 0, done.stderr
        assert took < 5
        assert tr("already_running", "en") in done.stdout
        first.wait_line("another start asked for the pad", 10)
        assert first.proc.poll() is None  # the first keeps running
        if on_screen:
            wait_until(lambda: visible_pads(env), 10, "the pad brought forward")
        # Another settings file is another pad: it starts.
        other = PadProcess(pad_args(tmp_path / "other.json", tmp_path / "none.xiezi"), env)
        try:
            other.wait_line("listening on")
        finally:
            other.kill()
    finally:
        first.kill()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="a crash needs SIGKILL")
def test_a_crashed_pads_socket_does_not_block_a_new_start(env, tmp_path: Path) -> None:
    args = pad_args(tmp_path / "s.json", tmp_path / "none.xiezi")
    crashed = PadProcess(args, env)
    crashed.wait_line("listening on")
    socket = next(line for line in crashed.lines if "listening on" in line).split()[-1]
    crashed.proc.send_signal(signal.SIGKILL)
    crashed.kill()
    if sys.platform != "win32":
        assert Path(socket).exists()  # left behind
    fresh = PadProcess(args, env)
    try:
        fresh.wait_line("listening on")
        done, took = start_again(env, args)
        assert done.returncode == 0 and took < 5 and fresh.proc.poll() is None
    finally:
        fresh.kill()


def test_the_second_start_says_so_in_chinese(env, tmp_path: Path) -> None:
    args = pad_args(tmp_path / "s.json", tmp_path / "none.xiezi")
    zh = {**env, "LANG": "zh_CN.UTF-8"}
    first = PadProcess(args, zh)
    try:
        first.wait_line("listening on")
        done, _ = start_again(zh, args)
        assert done.returncode == 0 and tr("already_running", "zh") in done.stdout
    finally:
        first.kill()
