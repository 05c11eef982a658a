"""Windows: SendInput with KEYEVENTF_UNICODE, and WS_EX_NOACTIVATE for the pad window.

Importable everywhere: the structures are plain ctypes; ``user32`` is loaded on first use.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Sequence
from typing import Any

from ime.insert.protocol import KEYS, Key

logger = logging.getLogger(__name__)

INPUT_KEYBOARD = 1
KEYEVENTF_KEYUP = 0x0002
KEYEVENTF_UNICODE = 0x0004
VK_BACK, VK_RETURN, VK_SPACE = 0x08, 0x0D, 0x20
VIRTUAL_KEYS: dict[str, int] = {"BackSpace": VK_BACK, "Return": VK_RETURN, "space": VK_SPACE}
GWL_EXSTYLE = -20
WS_EX_NOACTIVATE = 0x08000000

# Fixed-width types: ctypes.wintypes maps DWORD to c_ulong, 8 bytes on Linux (LP64), which
# would give INPUT the wrong size off Windows, where the tests run.
WORD, DWORD, LONG = ctypes.c_uint16, ctypes.c_uint32, ctypes.c_int32
ULONG_PTR = ctypes.c_size_t


class KEYBDINPUT(ctypes.Structure):
    _fields_ = [
        ("wVk", WORD),
        ("wScan", WORD),
        ("dwFlags", DWORD),
        ("time", DWORD),
        ("dwExtraInfo", ULONG_PTR),
    ]


class MOUSEINPUT(ctypes.Structure):
    _fields_ = [
        ("dx", LONG),
        ("dy", LONG),
        ("mouseData", DWORD),
        ("dwFlags", DWORD),
        ("time", DWORD),
        ("dwExtraInfo", ULONG_PTR),
    ]


class HARDWAREINPUT(ctypes.Structure):
    _fields_ = [("uMsg", DWORD), ("wParamL", WORD), ("wParamH", WORD)]


class _INPUTUNION(ctypes.Union):
    # The mouse member is the largest: it gives INPUT its real size (40 bytes on 64-bit), which
    # SendInput checks against cbSize.
    _fields_ = [("mi", MOUSEINPUT), ("ki", KEYBDINPUT), ("hi", HARDWAREINPUT)]


class INPUT(ctypes.Structure):
    _anonymous_ = ("u",)
    _fields_ = [("type", DWORD), ("u", _INPUTUNION)]


#: ``send(inputs) -> number of events the system accepted``: the faked boundary in tests.
SendFn = Callable[[Sequence[INPUT]], int]


def _user32() -> Any:
    return ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]


def _send_input(inputs: Sequence[INPUT]) -> int:
    array = (INPUT * len(inputs))(*inputs)
    sent = _user32().SendInput(len(inputs), array, ctypes.sizeof(INPUT))
    if sent != len(inputs):
        # Typically UIPI: the focused window belongs to a process of higher integrity (run as
        # administrator); Windows blocks our input to it.
        logger.warning(
            "SendInput accepted %d of %d events (error %d)",
            sent,
            len(inputs),
            ctypes.get_last_error(),
        )  # type: ignore[attr-defined]
    return int(sent)


def _key(vk: int, scan: int, flags: int) -> INPUT:
    return INPUT(type=INPUT_KEYBOARD, ki=KEYBDINPUT(wVk=vk, wScan=scan, dwFlags=flags))


def unicode_inputs(text: str) -> list[INPUT]:
    """Down/up INPUT pairs for each UTF-16 unit of ``text`` (a surrogate pair is two units).

    Newlines become VK_RETURN presses: KEYEVENTF_UNICODE carrying U+000A is ignored by most
    edit controls.
    """
    out: list[INPUT] = []
    for ch in text:
        if ch == "\n":
            out += [_key(VK_RETURN, 0, 0), _key(VK_RETURN, 0, KEYEVENTF_KEYUP)]
            continue
        data = ch.encode("utf-16-le")
        for i in range(0, len(data), 2):
            unit = int.from_bytes(data[i : i + 2], "little")
            out.append(_key(0, unit, KEYEVENTF_UNICODE))
            out.append(_key(0, unit, KEYEVENTF_UNICODE | KEYEVENTF_KEYUP))
    return out


class WindowsInserter:
    """Types with SendInput(KEYEVENTF_UNICODE); ``send`` replaces the system call in tests."""

    name = "Windows SendInput"

    def __init__(self, send: SendFn | None = None) -> None:
        self._send = send or _send_input

    def _submit(self, inputs: list[INPUT]) -> bool:
        try:
            sent = self._send(inputs)
        except Exception as e:  # noqa: BLE001 - no user32, a ctypes error: never raise
            logger.warning("SendInput failed: %s", e)
            return False
        return sent == len(inputs)

    def insert(self, text: str) -> bool:
        return True if not text else self._submit(unicode_inputs(text))

    def key(self, name: Key) -> bool:
        if name not in KEYS:
            logger.warning("unknown key %r", name)
            return False
        vk = VIRTUAL_KEYS[name]
        return self._submit([_key(vk, 0, 0), _key(vk, 0, KEYEVENTF_KEYUP)])

    def notice(self, lang: str) -> str:
        """Nothing to show: this back end types the text."""
        return ""


def set_no_activate(hwnd: int, user32: Any = None) -> bool:
    """Give the window ``hwnd`` the WS_EX_NOACTIVATE style: it never becomes the foreground.

    Qt already answers WM_MOUSEACTIVATE with MA_NOACTIVATE for ``WindowDoesNotAcceptFocus``
    windows; the style also covers the system's own activations (the foreground window being
    minimized or closed). The pad calls it once with ``int(window.winId())`` after the native
    window exists. ``user32`` replaces the DLL in tests. Returns False (logged) on failure.
    """
    try:
        u = user32 if user32 is not None else _user32()
        # GetWindowLongPtrW does not exist in 32-bit user32 (it is a macro there).
        get = getattr(u, "GetWindowLongPtrW", None) or u.GetWindowLongW
        put = getattr(u, "SetWindowLongPtrW", None) or u.SetWindowLongW
        style = int(get(hwnd, GWL_EXSTYLE))
        put(hwnd, GWL_EXSTYLE, style | WS_EX_NOACTIVATE)
        return True
    except Exception as e:  # noqa: BLE001 - never raise into the GUI
        logger.warning("cannot make the pad window non-activating: %s", e)
        return False
