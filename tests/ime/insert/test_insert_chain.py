"""The fallback chain, the recording fake and the clipboard inserter."""

from __future__ import annotations

import logging
import sys

import pytest

from ime.i18n import tr
from ime.insert import (
    ClipboardInserter,
    FallbackInserter,
    InsertConfig,
    Inserter,
    MemoryClipboard,
    available_modes,
    choose_inserter,
    describe_chain,
)
from ime.insert.clipboard import CommandClipboard, default_clipboard
from ime.insert.macos import MacInserter
from ime.insert.wayland import WtypeInserter
from ime.insert.windows import WindowsInserter
from ime.insert.x11 import X11Inserter
from ime.insert.x11_paste import X11PasteInserter
from tests.support.recording_inserter import RecordingInserter

linux_only = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux chain")


def test_recording_inserter_records_text_and_keys() -> None:
    rec = RecordingInserter()
    assert isinstance(rec, Inserter)
    assert rec.insert("中文") and rec.key("BackSpace") and rec.key("space") and rec.insert("好")
    assert rec.committed == ["中文", "好"]
    assert rec.keys == ["BackSpace", "space"]
    assert rec.text == "中 好"
    assert not rec.key("Escape")  # type: ignore[arg-type]
    failing = RecordingInserter(succeed=False)
    assert failing.insert("中") is False and failing.events == [] and failing.failed


def test_fallback_leaves_the_text_on_the_clipboard_and_returns_false() -> None:
    clip = MemoryClipboard()
    chain = FallbackInserter(RecordingInserter(succeed=False), ClipboardInserter(clip))
    assert chain.insert("中文，你好") is False
    assert clip.text == "中文，你好"
    ok = FallbackInserter(RecordingInserter(), ClipboardInserter(clip))
    assert ok.insert("好") is True and clip.text == "中文，你好"


def test_fallback_survives_a_raising_back_end() -> None:
    class Boom:
        name = "boom"

        def insert(self, text: str) -> bool:
            raise RuntimeError("driver crashed")

        def key(self, name: str) -> bool:
            raise RuntimeError("driver crashed")

    clip = MemoryClipboard()
    chain = FallbackInserter(Boom(), ClipboardInserter(clip))  # type: ignore[arg-type]
    assert chain.insert("你") is False and clip.text == "你"
    assert chain.key("space") is False


def test_the_chain_checks_the_text_once_and_the_back_ends_never_see_a_bad_one(caplog) -> None:
    rec, clip = RecordingInserter(), MemoryClipboard()
    chains = [
        FallbackInserter(rec, ClipboardInserter(clip)),
        choose_inserter("clipboard", clipboard=clip),
    ]
    for chain in chains:
        for bad, kind in ((None, "NoneType"), (b"\xe4\xb8\xad", "bytes"), (12, "int")):
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="ime.insert"):
                assert chain.insert(bad) is False  # type: ignore[arg-type]
            assert [r.getMessage() for r in caplog.records] == [
                f"not inserting: text must be a str, not {kind}"
            ]
    assert rec.events == rec.failed == [] and clip.history == []
    # Any str passes the entry unchanged, control characters included (X11 skips them itself).
    assert chains[0].insert("中\x07文") and rec.committed == ["中\x07文"]
    assert chains[1].insert("\n") and clip.history == ["\n"]


def test_every_back_end_implements_the_protocol_with_its_notice() -> None:
    clip, config = MemoryClipboard(), InsertConfig(key_delay_s=0)
    x11 = X11Inserter(config, display=":0")
    typing = [
        x11,
        X11PasteInserter(x11, clip, config),
        WindowsInserter(lambda inputs: 0),
        MacInserter(quartz=object()),
        WtypeInserter(config, environ={}),
        RecordingInserter(),
        FallbackInserter(RecordingInserter(), ClipboardInserter(clip)),
    ]
    for ins in typing:
        assert isinstance(ins, Inserter), ins
        assert ins.notice("zh") == ins.notice("en") == "", ins.name
    alone = choose_inserter("clipboard", clipboard=clip)
    assert isinstance(alone, Inserter) and alone.name == "clipboard"
    assert alone.notice("zh") == "文字会放到剪贴板上，请用 Ctrl+V 粘贴。"
    assert alone.notice("en") == "The text goes to the clipboard: paste it with Ctrl+V."


def test_clipboard_inserter_cannot_press_keys() -> None:
    clip = MemoryClipboard()
    ins = ClipboardInserter(clip)
    assert ins.insert("你好") and clip.text == "你好"
    assert ins.insert("") and clip.history == ["你好"]
    assert ins.key("Return") is False


@linux_only
def test_without_any_desktop_the_chain_is_the_clipboard() -> None:
    env = {"PATH": ""}
    clip = MemoryClipboard()
    ins = choose_inserter(environ=env, clipboard=clip)
    assert isinstance(ins, FallbackInserter) and isinstance(ins.primary, ClipboardInserter)
    assert ins.fallback is None and ins.insert("你好") and clip.history == ["你好"]
    assert available_modes(env) == ["auto", "clipboard"]
    assert "clipboard only" in describe_chain(environ=env)
    assert "DISPLAY is not set" in describe_chain("x11", environ=env)


@linux_only
def test_wayland_without_wtype_gives_the_clipboard_with_a_notice() -> None:
    ins = choose_inserter(
        environ={"WAYLAND_DISPLAY": "wayland-0", "PATH": ""}, clipboard=MemoryClipboard()
    )
    assert isinstance(ins.primary, ClipboardInserter) and ins.fallback is None
    assert ins.notice("en") == tr("wayland_notice", "en") and "install wtype" in ins.notice("en")
    assert ins.notice("zh") == tr("wayland_notice", "zh") and "安装 wtype" in ins.notice("zh")


def test_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown insertion mode"):
        choose_inserter("telepathy")
    with pytest.raises(ValueError):
        describe_chain("telepathy")


@linux_only
def test_default_clipboard_finds_xclip_on_path(tmp_path) -> None:
    for exe in ("xclip",):
        (tmp_path / exe).write_text("#!/bin/sh\n")
        (tmp_path / exe).chmod(0o755)
    clip = default_clipboard({"DISPLAY": ":5", "PATH": str(tmp_path)}, qt=False)
    assert isinstance(clip, CommandClipboard) and clip.name == "xclip"
    assert isinstance(default_clipboard({"PATH": str(tmp_path)}, qt=False), MemoryClipboard)


@linux_only
def test_command_clipboard_round_trip(tmp_path) -> None:
    store = tmp_path / "store"
    copy = tmp_path / "copy"
    copy.write_text(f"#!/bin/sh\ncat > {store}\n")
    paste = tmp_path / "paste"
    paste.write_text(f"#!/bin/sh\n[ -f {store} ] || exit 1\ncat {store}\n")
    copy.chmod(0o755)
    paste.chmod(0o755)
    clip = CommandClipboard("fake", [str(copy)], [str(paste)])
    assert clip.get_text() is None
    assert clip.set_text("中文，你好")
    assert clip.get_text() == "中文，你好"
    assert CommandClipboard("gone", [str(tmp_path / "nope")], []).set_text("x") is False


def test_importing_and_choosing_loads_neither_qt_nor_torch() -> None:
    import subprocess

    code = (
        "import sys, ime.insert as m\n"
        "m.choose_inserter(environ={'PATH': ''}, clipboard=m.MemoryClipboard())\n"
        "m.describe_chain(environ={}); m.available_modes({})\n"
        "import ime.insert.windows, ime.insert.macos, ime.insert.wayland, ime.insert.x11_paste\n"
        "bad = [n for n in ('PySide6', 'torch', 'onnxruntime') if n in sys.modules]\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
