"""End to end under Xvfb: a separate process holds a focused text field; we type into it.

Issue 8: the field must then hold exactly the committed text, keep the focus, and the keymap
must be as it was before.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ime.insert import InsertConfig, choose_inserter
from ime.insert.clipboard import Clipboard, default_clipboard
from ime.insert.x11 import X11Inserter
from ime.insert.xlib import XDisplay
from tests.support.xharness import App, Xvfb, click, start_field, start_pad, x_focus

pytestmark = [pytest.mark.xserver, pytest.mark.gui]

TEXT = "中文，你好"
#: The default key delay (the one that keeps browsers from dropping characters); a short restore.
CONFIG = InsertConfig(restore_after_s=0.2)


class Timers:
    """A scheduler whose deferred calls the test can wait for (join), instead of sleeping."""

    def __init__(self) -> None:
        self.timers: list[threading.Timer] = []

    def __call__(self, delay_s: float, fn: Callable[[], None]) -> None:
        timer = threading.Timer(delay_s, fn)
        timer.start()
        self.timers.append(timer)

    def join(self, timeout_s: float = 10.0) -> None:
        for t in self.timers:
            t.join(timeout_s)
            assert not t.is_alive()


@pytest.fixture(scope="module")
def field_app(xvfb: Xvfb) -> Iterator[App]:
    with start_field(xvfb) as app:
        yield app


@pytest.fixture
def field(field_app: App) -> App:
    field_app.send("clear")
    field_app.wait_for(lambda s: s["text"] == "" and s["focus"])
    return field_app


def keymap(display: str) -> list[list[int]]:
    dpy = XDisplay(display)
    try:
        lo, hi = dpy.keycode_range()
        return dpy.get_mapping(lo, hi - lo + 1)
    finally:
        dpy.close()


def test_commit_arrives_in_the_focused_field(xvfb: Xvfb, field: App) -> None:
    before = keymap(xvfb.display)
    timers = Timers()
    ins = X11Inserter(CONFIG, display=xvfb.display, schedule=timers)
    try:
        assert ins.insert(TEXT)
        state = field.wait_for(lambda s: s["text"] == TEXT)
        assert state["focus"] and state["active"]
        assert x_focus(xvfb.display) in (None, state["window"])
        assert ins.remapped  # "中文，你好" is not in a US keymap: spare keycodes were used
        timers.join()
        assert ins.remapped == {}
        assert keymap(xvfb.display) == before
    finally:
        ins.close()
    assert field.state["text"] == TEXT


def test_keys_of_the_pad_row(xvfb: Xvfb, field: App) -> None:
    ins = X11Inserter(CONFIG, display=xvfb.display, schedule=Timers())
    try:
        assert ins.insert("你好")
        assert ins.key("BackSpace") and ins.key("space") and ins.insert("a!")
        assert field.wait_for(lambda s: s["text"] == "你 a!")["focus"]
    finally:
        ins.close()


def test_the_chain_picks_xtest_on_x11(xvfb: Xvfb, field: App) -> None:
    env = xvfb.env()
    ins = choose_inserter("auto", config=CONFIG, environ=env, schedule=Timers())
    try:
        assert ins.name.startswith("X11 XTest")
        assert ins.insert(TEXT)
        assert field.wait_for(lambda s: s["text"] == TEXT)["focus"]
    finally:
        ins.close()  # type: ignore[attr-defined]


@pytest.mark.skipif(shutil.which("xclip") is None, reason="xclip is not installed")
def test_paste_mode_pastes_and_restores_the_clipboard(xvfb: Xvfb, field: App) -> None:
    env = xvfb.env()
    clip = default_clipboard(env, qt=False)
    assert clip.name == "xclip"
    assert clip.set_text("kept")
    timers = Timers()
    ins = choose_inserter("x11-paste", config=CONFIG, clipboard=clip, environ=env, schedule=timers)
    try:
        assert ins.insert(TEXT)
        assert field.wait_for(lambda s: s["text"] == TEXT)["focus"]
        timers.join()
        assert clip.get_text() == "kept"
    finally:
        ins.close()  # type: ignore[attr-defined]


def wait_clipboard(clip: Clipboard, text: str, timeout_s: float = 10.0) -> str | None:
    """Poll another process's clipboard until it holds ``text`` (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    got = clip.get_text()
    while got != text and time.monotonic() < deadline:
        got = clip.get_text()
    return got


def wait_keymap(display: str, expected: list[list[int]], timeout_s: float = 10.0) -> list:
    """Poll the server's keymap (changed by another process) until it equals ``expected``."""
    dpy = XDisplay(display)
    try:
        lo, hi = dpy.keycode_range()
        deadline = time.monotonic() + timeout_s
        got = dpy.get_mapping(lo, hi - lo + 1)
        while got != expected and time.monotonic() < deadline:
            got = dpy.get_mapping(lo, hi - lo + 1)
        return got
    finally:
        dpy.close()


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed")
@pytest.mark.parametrize("mode", ["x11", "x11-paste"])
def test_the_pad_never_takes_the_focus_and_a_click_commits(
    xvfb: Xvfb, field: App, mode: str
) -> None:
    """The pad (ime.window.MainWindow, its own process) shows without taking the focus; a real
    pointer click on its first candidate types the text into the field, which keeps it. In
    paste mode the pad's Qt clipboard serves the paste and gets the user's text back."""
    clip = default_clipboard(xvfb.env(), qt=False)
    if mode == "x11-paste":
        if clip.name != "xclip":
            pytest.skip("xclip is not installed")
        assert clip.set_text("kept")
    focus = field.state["window"]
    assert x_focus(xvfb.display) == focus
    before = keymap(xvfb.display)
    with start_pad(xvfb, mode, TEXT) as pad:
        shown = pad.query()
        assert shown["visible"] and not shown["active"]
        assert x_focus(xvfb.display) == focus
        still = field.query()
        assert still["focus"] and still["active"]
        click(xvfb.display, *shown["cell"])
        assert pad.wait_for(lambda s: s["committed"])["committed"] == [TEXT]
        state = field.wait_for(lambda s: s["text"] == TEXT)
        assert state["focus"] and state["active"]
        assert x_focus(xvfb.display) == focus
        assert not pad.query()["active"]
        if mode == "x11-paste":
            assert wait_clipboard(clip, "kept") == "kept"
        else:  # the pad's own QTimer restores the keymap (restore_after_s = 0.2 s in pad_app)
            assert wait_keymap(xvfb.display, before) == before
