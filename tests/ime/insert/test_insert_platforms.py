"""Windows, macOS and Wayland back ends with their system calls faked at the boundary."""

from __future__ import annotations

import ctypes
import os
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from ime.insert import InsertConfig
from ime.insert.macos import MAX_UNITS, MacInserter, utf16_chunks
from ime.insert.wayland import WtypeInserter, unavailable_reason
from ime.insert.windows import (
    GWL_EXSTYLE,
    INPUT,
    INPUT_KEYBOARD,
    KEYEVENTF_KEYUP,
    KEYEVENTF_UNICODE,
    VK_BACK,
    VK_RETURN,
    WS_EX_NOACTIVATE,
    WindowsInserter,
    set_no_activate,
)

# -- Windows ----------------------------------------------------------------------------


class FakeSendInput:
    def __init__(self, accept: int | None = None) -> None:
        self.batches: list[list[tuple[int, int, int, int]]] = []
        self.accept = accept

    def __call__(self, inputs: Any) -> int:
        self.batches.append([(i.type, i.ki.wVk, i.ki.wScan, i.ki.dwFlags) for i in inputs])
        return len(inputs) if self.accept is None else self.accept


def test_input_struct_has_the_windows_x64_layout() -> None:
    if ctypes.sizeof(ctypes.c_void_p) == 8:
        assert ctypes.sizeof(INPUT) == 40  # what SendInput's cbSize check expects


def test_sendinput_unicode_events_with_surrogate_pairs() -> None:
    send = FakeSendInput()
    assert WindowsInserter(send).insert("中，𠀀")
    down, up = KEYEVENTF_UNICODE, KEYEVENTF_UNICODE | KEYEVENTF_KEYUP
    k = INPUT_KEYBOARD
    assert send.batches == [
        [
            (k, 0, 0x4E2D, down),
            (k, 0, 0x4E2D, up),
            (k, 0, 0xFF0C, down),
            (k, 0, 0xFF0C, up),
            (k, 0, 0xD840, down),
            (k, 0, 0xD840, up),  # U+20000 = D840 DC00
            (k, 0, 0xDC00, down),
            (k, 0, 0xDC00, up),
        ]
    ]


def test_sendinput_keys_and_newline_use_virtual_keys() -> None:
    send = FakeSendInput()
    ins = WindowsInserter(send)
    assert ins.key("BackSpace") and ins.insert("\n")
    k = INPUT_KEYBOARD
    assert send.batches == [
        [(k, VK_BACK, 0, 0), (k, VK_BACK, 0, KEYEVENTF_KEYUP)],
        [(k, VK_RETURN, 0, 0), (k, VK_RETURN, 0, KEYEVENTF_KEYUP)],
    ]


def test_sendinput_blocked_returns_false() -> None:
    assert WindowsInserter(FakeSendInput(accept=0)).insert("中") is False

    def raising(_: Any) -> int:
        raise OSError("no user32")

    assert WindowsInserter(raising).insert("中") is False


def test_no_activate_style_is_added_to_the_window() -> None:
    calls: list[tuple[str, int, int, int | None]] = []
    fake = SimpleNamespace(
        GetWindowLongPtrW=lambda h, i: calls.append(("get", h, i, None)) or 0x100,
        SetWindowLongPtrW=lambda h, i, v: calls.append(("set", h, i, v)) or 0x100,
    )
    assert set_no_activate(0xBEEF, user32=fake)
    assert calls == [
        ("get", 0xBEEF, GWL_EXSTYLE, None),
        ("set", 0xBEEF, GWL_EXSTYLE, 0x100 | WS_EX_NOACTIVATE),
    ]
    if sys.platform != "win32":
        assert set_no_activate(1) is False  # no user32 here: logged, not raised


# -- macOS ------------------------------------------------------------------------------


class FakeQuartz:
    kCGEventSourceStateHIDSystemState = 1
    kCGHIDEventTap = 0

    def __init__(self, trusted: bool = True) -> None:
        self.posted: list[tuple[int, bool, str | None, int | None]] = []
        self.trusted = trusted

    def AXIsProcessTrusted(self) -> bool:
        return self.trusted

    def CGEventSourceCreate(self, state: int) -> str:
        return "source"

    def CGEventCreateKeyboardEvent(self, source: str, keycode: int, down: bool) -> dict:
        return {"keycode": keycode, "down": down, "text": None, "length": None}

    def CGEventKeyboardSetUnicodeString(self, event: dict, length: int, text: str) -> None:
        event["text"], event["length"] = text, length

    def CGEventPost(self, tap: int, event: dict) -> None:
        self.posted.append((event["keycode"], event["down"], event["text"], event["length"]))


def test_cgevent_strings_in_chunks_of_at_most_20_utf16_units() -> None:
    q = FakeQuartz()
    text = "中文，你好" * 5 + "𠀀"  # 26 characters, 27 UTF-16 units
    assert MacInserter(q).insert(text)
    chunks = [t for _, down, t, _ in q.posted if down]
    assert "".join(chunks) == text
    assert [n for _, down, _, n in q.posted if down] == [20, 7]
    pairs = zip(q.posted[::2], q.posted[1::2], strict=True)
    assert all(t == u for (_, d1, t, _), (_, d2, u, _) in pairs)


def test_utf16_chunks_never_split_a_surrogate_pair() -> None:
    text = "a" * 19 + "𠀀" + "b"
    chunks = list(utf16_chunks(text))
    assert chunks == ["a" * 19, "𠀀b"]
    assert all(len(c.encode("utf-16-le")) // 2 <= MAX_UNITS for c in chunks)


def test_cgevent_keys_and_missing_permission() -> None:
    q = FakeQuartz()
    assert MacInserter(q).key("BackSpace")
    assert q.posted == [(0x33, True, None, None), (0x33, False, None, None)]
    denied = FakeQuartz(trusted=False)
    assert MacInserter(denied).insert("中") is False and denied.posted == []


# -- Wayland ----------------------------------------------------------------------------


@pytest.fixture
def fake_wtype(tmp_path):
    log = tmp_path / "argv.log"
    exe = tmp_path / "wtype"
    exe.write_text(
        "#!/usr/bin/env python3\nimport sys\n"
        f"open({str(log)!r}, 'a', encoding='utf-8').write(repr(sys.argv[1:]) + '\\n')\n"
        "sys.exit(3 if '失败' in sys.argv else 0)\n"
    )
    exe.chmod(0o755)
    env = {"WAYLAND_DISPLAY": "wayland-1", "PATH": f"{tmp_path}{os.pathsep}/usr/bin:/bin"}
    return env, log


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX script stands in for wtype")
def test_wtype_receives_the_text_and_keys(fake_wtype) -> None:
    env, log = fake_wtype
    assert unavailable_reason(env) is None
    ins = WtypeInserter(InsertConfig(key_delay_s=0.01), environ=env)
    assert ins.insert("-中文，你好") and ins.key("Return")
    assert log.read_text(encoding="utf-8").splitlines() == [
        repr(["-d", "10", "--", "-中文，你好"]),
        repr(["-k", "Return"]),
    ]
    assert ins.insert("失败") is False  # the compositor refused: logged, returns False


def test_wtype_unavailable_reasons(tmp_path) -> None:
    assert unavailable_reason({"PATH": str(tmp_path)}) == "WAYLAND_DISPLAY is not set"
    assert "not on PATH" in unavailable_reason({"WAYLAND_DISPLAY": "w", "PATH": str(tmp_path)})


class FakePanel:
    def __init__(self, panel: bool) -> None:
        self.panel, self.mask, self.hides = panel, 0x11, True

    def isKindOfClass_(self, cls: str) -> bool:
        return self.panel and cls == "NSPanel"

    def styleMask(self) -> int:
        return self.mask

    def setStyleMask_(self, mask: int) -> None:
        self.mask = mask

    def setHidesOnDeactivate_(self, hides: bool) -> None:
        self.hides = hides


def fake_objc(window: FakePanel, seen: list[int]) -> SimpleNamespace:
    def wrap(c_void_p: int) -> SimpleNamespace:
        seen.append(c_void_p)
        return SimpleNamespace(window=lambda: window)

    return SimpleNamespace(objc_object=wrap, lookUpClass=lambda name: name)


def test_pad_panel_gets_the_non_activating_style() -> None:
    from ime.insert.macos import NONACTIVATING_PANEL, make_non_activating

    seen: list[int] = []
    panel = FakePanel(panel=True)
    assert make_non_activating(0xCAFE, objc=fake_objc(panel, seen))
    assert seen == [0xCAFE]
    assert panel.mask == 0x11 | NONACTIVATING_PANEL and panel.hides is False
    plain = FakePanel(panel=False)
    assert make_non_activating(1, objc=fake_objc(plain, [])) is False and plain.mask == 0x11
    if sys.platform != "darwin":
        assert make_non_activating(1) is False  # no pyobjc here: logged, not raised
