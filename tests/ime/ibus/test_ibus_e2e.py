"""Xiezi's IBus engine against a real ibus-daemon (issue 26): it is listed and selected, a
committed candidate arrives in a real GTK application's text field through ``commit_text``,
and switching away hides the pad."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ime.ibus import wire
from tests.ime.ibus.conftest import SYSTEM_PYTHON, Session
from tests.support.xharness import App

pytestmark = [pytest.mark.xserver, pytest.mark.slow]

HERE = Path(__file__).resolve().parent


def start_field(session: Session) -> App:
    field = App([SYSTEM_PYTHON, str(HERE / "gtk_field.py")], session.env)
    field.wait_for(lambda s: s["focus"] and s["active"])
    return field


def start_pad(session: Session, first: str) -> App:
    pad = App(
        [sys.executable, str(HERE / "ibus_pad_app.py"), first],
        {**session.env, "QT_IM_MODULE": "", "PYTHONPATH": str(HERE.parents[2])},
    )
    pad.wait_for(lambda s: s["visible"])
    return pad


def switch(session: Session, engine: str) -> None:
    """``ibus engine <engine>``, then the daemon's global engine must be it.

    Not the command's exit status: the first switch to an engine whose component is not yet
    running exits 1 without a word in ibus 1.5.27 although the daemon switches."""
    session.ibus("engine", engine)
    session.wait(f"{engine} is the engine", lambda: session.ibus("engine").stdout.strip() == engine)


def test_engine_is_listed(ibus_session: Session) -> None:
    listed = ibus_session.wait(
        "xiezi in `ibus list-engine`", lambda: "xiezi" in (ibus_session.ibus("list-engine").stdout)
    )
    assert listed
    line = next(x for x in ibus_session.ibus("list-engine").stdout.splitlines() if "xiezi" in x)
    assert "Xiezi 写字" in line


def test_commit_reaches_a_gtk_field(ibus_session: Session) -> None:
    field = start_field(ibus_session)
    pad = None
    try:
        switch(ibus_session, "xiezi")
        path = wire.socket_path(ibus_session.env)
        ibus_session.wait("the engine's socket", lambda: os.path.exists(path))
        # No pad was connected: switching to Xiezi started one (here, the stand-in).
        ibus_session.wait(
            "the engine starts a pad", lambda: (ibus_session.home / "pad-started").exists()
        )
        # Garbage on the socket is ignored; the bridge goes on.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.connect(path)
            raw.settimeout(10)
            assert wire.decode(raw.makefile("rb").readline()) == {"active": True, "focused": True}
            raw.sendall(
                b"garbage\n\xff\n"
                + b"x" * (wire.MAX_LINE + 10)
                + b"\n"
                + wire.encode({"commit": 5})
            )
        pad = start_pad(ibus_session, "写")
        state = pad.wait_for(lambda s: s["active"])
        assert state["linked"] and state["inserter"] == "IBus"

        pad.send("commit")
        text = field.wait_for(lambda s: s["text"] != "")["text"]
        assert text == "写"
        assert pad.wait_for(lambda s: s["committed"])["via"] == ["IBus"]
        field.send("state")  # the field kept the focus: the pad never took it
        assert field.wait_for(lambda s: "focus" in s)["focus"]
        if shutil.which("xdotool"):  # keys typed while Xiezi is active reach it unchanged
            subprocess.run(
                ["xdotool", "type", "--delay", "20", "ab1"],
                env=ibus_session.env,
                timeout=20,
                check=True,
            )
            assert field.wait_for(lambda s: s["text"] == "写ab1")

        # Switching away hides the pad; back shows it.
        switch(ibus_session, "xkb:us::eng")
        assert not pad.wait_for(lambda s: not s["visible"])["active"]
        switch(ibus_session, "xiezi")
        assert pad.wait_for(lambda s: s["visible"] and s["active"])["inserter"] == "IBus"
    finally:
        if pad is not None:
            pad.close()
        field.close()


def visible_pads(session: Session) -> list[str]:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--class", "xiezi"],
        env=session.env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return found.stdout.split()


#: The real pad, as ``xiezi --install-ibus`` has the engine start it, but with the clipboard
#: as its only other way in (so text in the field came through IBus) and no model to load
#: (the quick keys need none; the pad says the model is missing and goes on).
REAL_PAD = [
    sys.executable,
    "-m",
    "ime.app",
    "--insert",
    "clipboard",
    "--no-tray",
    "--model",
    "/nonexistent/model.xiezi",
]


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed")
@pytest.mark.parametrize("ibus_session", [REAL_PAD], indirect=True)
def test_the_pad_the_engine_starts_types_through_ibus(ibus_session: Session) -> None:
    field = start_field(ibus_session)
    try:
        switch(ibus_session, "xiezi")
        window = ibus_session.wait("the pad shows", lambda: visible_pads(ibus_session), 60)[-1]
        shape = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window],
            env=ibus_session.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        g = dict(line.split("=", 1) for line in shape.split())
        # The first punctuation key, "，": the quick keys are the window's two bottom rows of
        # 30 px buttons (ime/keys.py) inside a 4 px margin.
        x, y = int(g["X"]) + 16, int(g["Y"]) + int(g["HEIGHT"]) - 4 - 30 - 2 - 15
        text = ""
        for _ in range(10):  # until the pad, just started, has linked to the engine
            subprocess.run(
                ["xdotool", "mousemove", str(x), str(y), "click", "1"],
                env=ibus_session.env,
                timeout=10,
                check=True,
            )
            try:
                text = field.wait_for(lambda s: s["text"] != "", timeout_s=2)["text"]
                break
            except TimeoutError:
                continue
        assert text == "，"
        field.send("state")
        assert field.wait_for(lambda s: "focus" in s)["focus"]
        switch(ibus_session, "xkb:us::eng")
        ibus_session.wait("the pad hides", lambda: not visible_pads(ibus_session))
    finally:
        field.close()
