"""End to end under Xvfb (issue 28): ``python -m ime.app`` with the bundled model types into a
focused text field of another process; the user writes 中 with the pointer, clicks the second
candidate, writes the same ink again and clicks the first: with learning on the field holds the
picked character twice, with it off the second click types what the model reads first."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pad_drawing import pixel_path

from tests.support.pad_process import PadProcess, needs_model, pad_args
from tests.support.xharness import App, Xvfb, start_field

pytestmark = [
    pytest.mark.xserver,
    pytest.mark.gui,
    pytest.mark.slow,
    needs_model,
    pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed"),
]
#: The window's margin and the candidate bar's height (ime.window._lay_out, CandidateBar).
MARGIN, BAR = 4, 44
SIDE = 240


@pytest.fixture
def field(xvfb: Xvfb) -> Iterator[App]:
    with start_field(xvfb) as app:
        yield app


def xdotool(xvfb: Xvfb, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args], env=xvfb.env(), capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def start_pad(xvfb: Xvfb, tmp_path: Path, learn: bool) -> PadProcess:
    """``python -m ime.app`` on xvfb, typing by XTest, learning or not."""
    settings = tmp_path / "settings.json"
    s = {"auto_commit": "off", "pad_size": SIDE, "learn_handwriting": learn}
    settings.write_text(json.dumps(s), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = xvfb.env(HOME=str(home), LANG="C.UTF-8")
    return PadProcess(pad_args(settings, insert="x11"), env)


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
    pad = start_pad(xvfb, tmp_path, learn)
    try:
        if learn:
            pad.wait_line("user's memory", 60)  # the model is loaded and the memory open
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
