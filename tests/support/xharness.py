"""Xvfb and a text field in separate processes: shared by the X11 tests and bench_insert.py."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class XvfbUnavailable(RuntimeError):
    """No X server can be started here (the reason is the message)."""


class Xvfb:
    """A private Xvfb on a display number it picks itself (``-displayfd``): no races."""

    def __init__(self, timeout_s: float = 15.0) -> None:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise XvfbUnavailable("Xvfb is not installed (apt-get install xvfb)")
        read_fd, write_fd = os.pipe()
        # -noreset: Xvfb otherwise resets when its last client disconnects, and connections
        # made during the reset fail.
        self.proc = subprocess.Popen(
            [
                exe,
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(write_fd)
        number = _read_line(read_fd, timeout_s)
        os.close(read_fd)
        if not number:
            err = self._stop()
            raise XvfbUnavailable(f"Xvfb did not start: {err.strip()[-500:]}")
        self.display = f":{number}"

    def _stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
        }
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb", **extra)
        return env

    def close(self) -> None:
        self._stop()


def _read_line(fd: int, timeout_s: float) -> str:
    out = b""
    deadline = time.monotonic() + timeout_s
    while not out.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        out += chunk
    return out.decode().strip()


class App:
    """A child process printing JSON state lines; ``wait_for`` waits on them with a timeout."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.states: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                state = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self.states.append(state)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip())

    @property
    def state(self) -> dict[str, Any]:
        with self._cond:
            return dict(self.states[-1]) if self.states else {}

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout_s: float = 20.0) -> dict:
        """The first state (from now on, or the latest) satisfying ``pred``; raises on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                if self.states and pred(self.states[-1]):
                    return dict(self.states[-1])
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    last = self.states[-1] if self.states else None
                    raise TimeoutError(
                        f"condition not met in {timeout_s} s; last state {last}; "
                        f"stderr: {' | '.join(self.stderr[-5:])}"
                    )
                self._cond.wait(left)

    def query(self, timeout_s: float = 20.0) -> dict[str, Any]:
        """A state printed after this call (asks the app with "state")."""
        with self._cond:
            seen = len(self.states)
        self.send("state")
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.states) <= seen:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"no state in {timeout_s} s: {self.stderr[-5:]}")
                self._cond.wait(left)
            return dict(self.states[-1])

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_field(xvfb: Xvfb) -> App:
    """The text field app on ``xvfb``, once it holds the focus."""
    app = App([sys.executable, str(HERE / "field_app.py")], xvfb.env())
    app.wait_for(lambda s: s["focus"] and s["active"])
    return app


def x_focus(display: str) -> int | None:
    """The X input focus window (``xdotool getwindowfocus``), or None without xdotool."""
    exe = shutil.which("xdotool")
    if exe is None:
        return None
    done = subprocess.run(
        [exe, "getwindowfocus"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return int(done.stdout.strip()) if done.returncode == 0 else None


def start_pad(xvfb: Xvfb, mode: str, first_candidate: str, settings: Path | None = None) -> App:
    """Xiezi's pad window (ime.window.MainWindow) on ``xvfb``, once it is shown; with
    ``settings``, read from and saved to that file."""
    extra = [str(settings)] if settings is not None else []
    app = App([sys.executable, str(HERE / "pad_app.py"), mode, first_candidate, *extra], xvfb.env())
    app.wait_for(lambda s: s["visible"])
    return app


def click(display: str, x: int, y: int) -> None:
    """A real pointer click at global (x, y) through xdotool (XTest).

    No ``--sync``: it waits for the pointer to move and hangs when it already is at (x, y);
    the move and the click go over one connection, so the server keeps their order.
    """
    exe = shutil.which("xdotool")
    if exe is None:
        raise FileNotFoundError("xdotool is not installed")
    subprocess.run(
        [exe, "mousemove", str(x), str(y), "click", "1"],
        env={**os.environ, "DISPLAY": display},
        check=True,
        timeout=10,
    )


def wait_until(pred: Callable[[], object], timeout_s: float = 10.0, what: str = "") -> None:
    """Poll ``pred`` until it is true; fails after ``timeout_s`` naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling the X server, another process: no signal to wait on


@contextmanager
def openbox(xvfb: Xvfb, wait: bool = True) -> Iterator[subprocess.Popen]:
    """The openbox window manager on ``xvfb`` while in the block; with ``wait``, once it has
    taken the screen (its ``_NET_SUPPORTING_WM_CHECK`` on the root window, read with xprop)."""
    wm = subprocess.Popen(
        ["openbox", "--sm-disable"],
        env=xvfb.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if wait:
            wait_until(
                lambda: (
                    "_NET_SUPPORTING_WM_CHECK(WINDOW)"
                    in subprocess.run(
                        ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"],
                        env=xvfb.env(),
                        capture_output=True,
                        text=True,
                        check=False,
                    ).stdout
                ),
                what="openbox",
            )
        yield wm
    finally:
        wm.terminate()
        wm.wait(10)
