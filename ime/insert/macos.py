"""macOS: post keyboard events carrying Unicode strings (Quartz, via the optional pyobjc).

The process needs the Accessibility permission (System Settings → Privacy & Security →
Accessibility); without it macOS drops the events silently, so ``insert`` checks
``AXIsProcessTrusted`` first when the binding offers it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterator
from typing import Any

from ime.insert.protocol import KEYS, Key

logger = logging.getLogger(__name__)

#: Most UTF-16 code units CGEventKeyboardSetUnicodeString takes per event: longer strings are
#: truncated to 20 by the system (documented in CGEvent.h).
MAX_UNITS = 20
#: Virtual key codes (HIToolbox Events.h: kVK_Delete, kVK_Return, kVK_Space).
VIRTUAL_KEYS: dict[str, int] = {"BackSpace": 0x33, "Return": 0x24, "space": 0x31}


def unavailable_reason() -> str | None:
    if sys.platform != "darwin":
        return "not macOS"
    if importlib.util.find_spec("Quartz") is None:
        return "pyobjc's Quartz is not installed (pip install pyobjc-framework-Quartz)"
    return None


def utf16_chunks(text: str, max_units: int = MAX_UNITS) -> Iterator[str]:
    """Split ``text`` into pieces of at most ``max_units`` UTF-16 units, never inside a pair."""
    chunk: list[str] = []
    units = 0
    for ch in text:
        n = 2 if ord(ch) > 0xFFFF else 1
        if units + n > max_units:
            yield "".join(chunk)
            chunk, units = [], 0
        chunk.append(ch)
        units += n
    if chunk:
        yield "".join(chunk)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class MacInserter:
    """Types with CGEventKeyboardSetUnicodeString; ``quartz`` is the Quartz module (faked in
    tests), imported on first use."""

    name = "macOS CGEvent"

    def __init__(self, quartz: Any = None) -> None:
        self._quartz = quartz

    def _q(self) -> Any:
        if self._quartz is None:
            self._quartz = importlib.import_module("Quartz")
        return self._quartz

    def _post(self, keycode: int, text: str | None) -> None:
        q = self._q()
        source = q.CGEventSourceCreate(q.kCGEventSourceStateHIDSystemState)
        for down in (True, False):
            event = q.CGEventCreateKeyboardEvent(source, keycode, down)
            if text is not None:
                q.CGEventKeyboardSetUnicodeString(event, utf16_len(text), text)
            q.CGEventPost(q.kCGHIDEventTap, event)

    def _trusted(self) -> bool:
        check = getattr(self._q(), "AXIsProcessTrusted", None)
        if check is not None and not check():
            logger.warning("no Accessibility permission: macOS would drop the key events")
            return False
        return True

    def insert(self, text: str) -> bool:
        try:
            if not text or not self._trusted():
                return not text
            for chunk in utf16_chunks(text):
                self._post(0, chunk)
            return True
        except Exception as e:  # noqa: BLE001 - no pyobjc, a Quartz error: never raise
            logger.warning("macOS insertion failed: %s", e)
            return False

    def key(self, name: Key) -> bool:
        if name not in KEYS:
            logger.warning("unknown key %r", name)
            return False
        try:
            if not self._trusted():
                return False
            self._post(VIRTUAL_KEYS[name], None)
            return True
        except Exception as e:  # noqa: BLE001 - never raise into the GUI
            logger.warning("macOS key %s failed: %s", name, e)
            return False

    def notice(self, lang: str) -> str:
        """Nothing to show: this back end types the text."""
        return ""


#: NSWindowStyleMaskNonactivatingPanel (AppKit NSWindow.h): 1 << 7.
NONACTIVATING_PANEL = 1 << 7


def make_non_activating(win_id: int, objc: Any = None) -> bool:
    """Give the pad's NSPanel the non-activating style: clicks no longer activate Xiezi.

    Qt backs ``Qt.Tool`` windows with an NSPanel but does not add
    NSWindowStyleMaskNonactivatingPanel for ``WindowDoesNotAcceptFocus`` (that only stops the
    panel becoming key), so a click would still bring Xiezi to the front and take the keyboard
    from the application written into. The pad calls this once with ``int(window.winId())``
    (an NSView pointer) after the native window exists. ``objc`` replaces pyobjc in tests.
    Returns False (logged) when pyobjc is missing or the window is not a panel.
    """
    try:
        o = objc if objc is not None else importlib.import_module("objc")
        window = o.objc_object(c_void_p=win_id).window()
        if window is None or not window.isKindOfClass_(o.lookUpClass("NSPanel")):
            logger.warning("the pad window is not an NSPanel (is it a Qt.Tool window?)")
            return False
        window.setStyleMask_(window.styleMask() | NONACTIVATING_PANEL)
        window.setHidesOnDeactivate_(False)  # panels hide when their app deactivates
        return True
    except Exception as e:  # noqa: BLE001 - never raise into the GUI
        logger.warning("cannot make the pad window non-activating: %s", e)
        return False
