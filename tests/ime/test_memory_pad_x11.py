"""End to end under Xvfb (issue 28): ``python -m ime.app`` with the bundled model types into a
focused text field of another process; the user writes 中 with the pointer, clicks the second
candidate, writes the same ink again and clicks the first: with learning on the field holds the
picked character twice, with it off the second click types what the model reads first."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pad_drawing import pixel_path

from tests.support.xharness import App, Xvfb, XvfbUnavailable, start_field

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "resources" / "model" / "xiezi-gb1.xiezi"
pytestmark = [
    pytest.mark.xserver,
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(not MODEL.is_file(), reason="no bundled model in this checkout"),
    pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed"),
]
#: The window's margin and the candidate bar's height (ime.window._lay_out, CandidateBar).
MARGIN, BAR = 4, 44
SIDE = 240


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    try:
        server = Xvfb()
    except XvfbUnavailable as e:
        pytest.skip(f"no X server can start here: {e}")
    yield server
    server.close()


@pytest.fixture
def field(xvfb: Xvfb) -> Iterator[App]:
    app = start_field(xvfb)
    yield app
    app.close()


def xdotool(xvfb: Xvfb, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args], env=xvfb.env(), capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


class Pad:
    """``python -m ime.app`` on xvfb; ``wait_log(text)`` waits for a line of its -v log."""

    def __init__(self, xvfb: Xvfb, tmp_path: Path, learn: bool) -> None:
        settings = tmp_path / "settings.json"
        s = {"auto_commit": "off", "pad_size": SIDE, "learn_handwriting": learn}
        settings.write_text(json.dumps(s), encoding="utf-8")
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        argv = ["-m", "ime.app", "-v", "--no-tray", "--insert", "x11", "--settings", str(settings)]
        self.proc = subprocess.Popen(
            [sys.executable, *argv],
            env=xvfb.env(HOME=str(home), LANG="C.UTF-8"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line.rstrip())

    def wait_log(self, text: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.log):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"no {text!r} in the pad's log: {self.log[-10:]}")
            time.sleep(0.05)  # another process's log: no signal to wait on

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def geometry(xvfb: Xvfb) -> tuple[int, int, int, int]:
    wid = xdotool(xvfb, "search", "--sync", "--onlyvisible", "--name", "^Xiezi$").split()[0]
    shell = dict(
        line.split("=", 1) for line in xdotool(xvfb, "getwindowgeometry", "--shell", wid).split()
    )
    return int(shell["X"]), int(shell["Y"]), int(shell["WIDTH"]), int(shell["HEIGHT"])


def write(xvfb: Xvfb, x: int, y: int) -> None:
    """中's stroke medians with the pointer, in the pad whose top-left is (x, y)."""
    from trainer.data.templates import load_templates

    for stroke in load_templates().strokes("中"):
        # A point every 4 px, 10 ms apart: Qt merges pointer motions that come faster (its
        # motion compression), and how many it merged would change the ink from write to write.
        pts = np.array(pixel_path(20 + stroke * (SIDE - 40)))[::4]
        args = ["mousemove", str(x + pts[0, 0]), str(y + pts[0, 1]), "mousedown", "1"]
        for px, py in pts[1:]:
            args += ["sleep", "0.01", "mousemove", str(x + px), str(y + py)]
        xdotool(xvfb, *args, "mouseup", "1")


def click_cell(xvfb: Xvfb, geo: tuple[int, int, int, int], cell: int) -> None:
    x, y, w, _ = geo
    width = (w - 2 * MARGIN) / 10
    xdotool(
        xvfb, "mousemove", str(int(x + MARGIN + (cell + 0.5) * width)), str(y + 20), "click", "1"
    )


def write_and_click(xvfb: Xvfb, field: App, geo, cell: int, before: str) -> str:
    """Write, then click the cell until the field grows: the candidates come once the model
    has loaded (the pad says nothing on stdout), and an empty bar takes no click."""
    write(xvfb, geo[0] + MARGIN, geo[1] + 2 * MARGIN + BAR)
    for _ in range(20):
        time.sleep(1.5)
        click_cell(xvfb, geo, cell)
        try:
            return field.wait_for(lambda s: len(s["text"]) > len(before), 1.5)["text"]
        except TimeoutError:
            continue
    raise AssertionError("no candidate reached the field")


@pytest.mark.parametrize("learn", [True, False], ids=["learning", "off"])
def test_a_pick_typed_into_the_field_is_first_the_next_time(
    xvfb: Xvfb, field: App, tmp_path: Path, learn: bool
) -> None:
    field.send("clear")
    field.wait_for(lambda s: s["text"] == "" and s["focus"])
    pad = Pad(xvfb, tmp_path, learn)
    try:
        if learn:
            pad.wait_log("user's memory", 60)  # the model is loaded and the memory open
        geo = geometry(xvfb)
        text = write_and_click(xvfb, field, geo, 1, "")
        picked = text[-1]
        text = write_and_click(xvfb, field, geo, 0, text)
        assert field.state["focus"]
    finally:
        pad.close()
    memory = tmp_path / "memory.npz"
    if learn:
        assert text == picked * 2 and memory.is_file()
    else:
        assert len(text) == 2 and text[1] != picked and not memory.exists()
