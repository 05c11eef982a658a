"""X11: type through XTest key events, remapping spare keycodes for characters the keymap lacks.

How a character is typed: its keysym (Latin-1 characters are their own keysym, every other
character is 0x01000000 + code point, the X11 Unicode keysyms) is looked up in the current
keymap; a keycode that has it at level 1 is pressed as is, at level 2 with Shift. Otherwise an
empty ("spare") keycode is remapped to it with XChangeKeyboardMapping, as xdotool does. The
remapping is undone ``InsertConfig.restore_after_s`` after the last insertion: clients re-read
the keymap asynchronously when they see the MappingNotify, and undoing at once would make them
read the keymap without our keysym and drop the character.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from ime.insert.later import Scheduler, call_later
from ime.insert.protocol import KEYS, InsertConfig, Key
from ime.insert.x11_clients import ClientDisplay, focused_application
from ime.insert.xlib import NO_SYMBOL, XDisplay, XlibError

logger = logging.getLogger(__name__)

XK_BackSpace, XK_Tab, XK_Return = 0xFF08, 0xFF09, 0xFF0D
XK_Shift_L, XK_Control_L, XK_Insert = 0xFFE1, 0xFFE3, 0xFF63
KEY_SYMS: dict[str, int] = {"BackSpace": XK_BackSpace, "Return": XK_Return, "space": 0x20}


class Display(ClientDisplay, Protocol):
    """The X calls the inserter makes (``xlib.XDisplay``; a fake in unit tests): those that
    find the focused application (``ClientDisplay``) and these."""

    def keycode_range(self) -> tuple[int, int]: ...
    def get_mapping(self, first: int, count: int) -> list[list[int]]: ...
    def change_mapping(self, keycode: int, row: list[int]) -> None: ...
    def keysym_to_keycode(self, keysym: int) -> int: ...
    def fake_key(self, keycode: int, press: bool) -> None: ...
    def flush(self) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


def keysym_for(ch: str) -> int:
    """The X keysym of one character (NO_SYMBOL for control characters we do not type)."""
    cp = ord(ch)
    if ch == "\n":
        return XK_Return
    if ch == "\t":
        return XK_Tab
    if 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xFF:
        return cp  # Latin-1 keysyms equal their code points
    if cp < 0x20 or 0x7F <= cp < 0xA0:
        return NO_SYMBOL
    return 0x01000000 + cp  # X11 Unicode keysyms (keysymdef.h, "Unicode" section)


def unavailable_reason(environ: Mapping[str, str] | None = None) -> str | None:
    """Why XTest typing cannot work here, or None: needs DISPLAY, the libraries and XTEST."""
    environ = os.environ if environ is None else environ
    display = environ.get("DISPLAY")
    if not display:
        return "DISPLAY is not set"
    try:
        XDisplay(display).close()
    except XlibError as e:
        return str(e)
    return None


def has_target(dpy: Display) -> bool:
    """Whether an application window has the keyboard focus: not None, PointerRoot, the root
    window, nor a window that is not a normal client (``x11_clients``, issue 23)."""
    return focused_application(dpy) is not None


class X11Inserter:
    """Types text with XTest into the window that has the X input focus.

    Thread-safe: the deferred keymap restore may run on a timer thread; one lock serializes
    every use of the X connection (so Xlib needs no XInitThreads).
    """

    name = "X11 XTest"

    def __init__(
        self,
        config: InsertConfig | None = None,
        *,
        display: str | None = None,
        schedule: Scheduler | None = None,
        open_display: Callable[[str | None], Display] = XDisplay,
    ) -> None:
        self.config = config or InsertConfig()
        self._display_name = display
        self._schedule = schedule or call_later
        self._open = open_display
        self._dpy: Display | None = None
        self._lock = threading.RLock()
        self._assigned: dict[int, int] = {}  # spare keycode → keysym we put there, LRU order
        self._generation = 0  # bumped by every insertion; a stale restore timer does nothing

    # -- the protocol -------------------------------------------------------------------
    def insert(self, text: str) -> bool:
        syms = [keysym_for(ch) for ch in text]
        if NO_SYMBOL in syms:
            logger.info("skipping %d control characters", syms.count(NO_SYMBOL))
        return self._send([s for s in syms if s != NO_SYMBOL])

    def key(self, name: Key) -> bool:
        if name not in KEYS:
            logger.warning("unknown key %r", name)
            return False
        return self._send([KEY_SYMS[name]])

    def notice(self, lang: str) -> str:
        """Nothing to show: this back end types the text."""
        return ""

    # -- more ---------------------------------------------------------------------------
    def press_combo(self, keysyms: list[int]) -> bool:
        """Press ``keysyms`` in order and release them in reverse (e.g. Control_L, v)."""
        with self._lock:
            try:
                dpy = self._display()
                if not has_target(dpy):
                    logger.warning("no window has the keyboard focus: not pasting")
                    return False
                codes = [dpy.keysym_to_keycode(k) for k in keysyms]
                if 0 in codes:
                    raise XlibError(f"keysym {keysyms[codes.index(0)]:#x} is not in the keymap")
                for c in codes:
                    dpy.fake_key(c, True)
                for c in reversed(codes):
                    dpy.fake_key(c, False)
                dpy.sync()
                return True
            except XlibError as e:
                logger.warning("XTest key combination failed: %s", e)
                self._drop_display()
                return False

    @property
    def remapped(self) -> dict[int, int]:
        """Spare keycode → keysym currently remapped by us (empty once restored)."""
        with self._lock:
            return dict(self._assigned)

    def restore_mapping(self) -> bool:
        """Give every keycode we remapped its empty row back; True when none is left."""
        with self._lock:
            if not self._assigned:
                return True
            try:
                dpy = self._display()
                for kc, ks in self._assigned.items():
                    row = dpy.get_mapping(kc, 1)[0]
                    if row[:2] == [ks, ks]:  # not when a new layout (setxkbmap) took the key
                        dpy.change_mapping(kc, [NO_SYMBOL] * len(row))
                dpy.sync()
                logger.debug("restored %d keycodes", len(self._assigned))
                self._assigned.clear()
                return True
            except XlibError as e:
                logger.warning("cannot restore the keyboard mapping: %s", e)
                return False

    def close(self) -> None:
        """Restore the keymap now and close the X connection."""
        with self._lock:
            self.restore_mapping()
            self._drop_display()

    # -- internals ----------------------------------------------------------------------
    def _display(self) -> Display:
        if self._dpy is None:
            self._dpy = self._open(self._display_name)
        return self._dpy

    def _drop_display(self) -> None:
        if self._dpy is not None:
            try:
                self._dpy.close()
            finally:
                self._dpy = None
                self._assigned.clear()  # the server forgets nothing, but we cannot track it

    def _send(self, syms: list[int]) -> bool:
        if not syms:
            return True
        with self._lock:
            self._generation += 1
            generation = self._generation
            try:
                dpy = self._display()
                if not has_target(dpy):
                    # Keys would go to the root window or to whatever is under the pointer
                    # (the pad itself): nowhere the user is writing (issue 15, after Settings).
                    logger.warning("no window has the keyboard focus: not typing")
                    return False
                self._type(dpy, syms)
                ok = True
            except XlibError as e:
                logger.warning("XTest typing failed: %s", e)
                ok = False
        if self._assigned:
            self._schedule(self.config.restore_after_s, lambda: self._restore_if(generation))
        return ok

    def _restore_if(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:  # no insertion since: nobody needs the keysyms
                self.restore_mapping()

    def _type(self, dpy: Display, syms: list[int]) -> None:
        lo, hi = dpy.keycode_range()
        rows = dpy.get_mapping(lo, hi - lo + 1)
        width = len(rows[0])
        for kc, ks in list(self._assigned.items()):  # forget keys a new layout took over
            if rows[kc - lo][:2] != [ks, ks]:
                del self._assigned[kc]
        shift = dpy.keysym_to_keycode(XK_Shift_L)
        where: dict[int, tuple[int, bool]] = {}  # keysym → (keycode, needs Shift)
        for col in (0, 1) if shift else (0,):
            for i, row in enumerate(rows):
                if len(row) > col and row[col] != NO_SYMBOL:
                    where.setdefault(row[col], (lo + i, col == 1))
        spares = [lo + i for i, row in enumerate(rows) if not any(row)]
        start = 0
        while start < len(syms):
            steps, end = self._plan(syms, start, where, spares, dpy, width)
            for i, (keycode, shifted) in enumerate(steps):
                if self.config.key_delay_s and (i or start):  # between keys, not after the last
                    dpy.flush()
                    time.sleep(self.config.key_delay_s)
                if shifted:
                    dpy.fake_key(shift, True)
                dpy.fake_key(keycode, True)
                dpy.fake_key(keycode, False)
                if shifted:
                    dpy.fake_key(shift, False)
            dpy.sync()
            start = end

    def _plan(
        self,
        syms: list[int],
        start: int,
        where: dict[int, tuple[int, bool]],
        spares: list[int],
        dpy: Display,
        width: int,
    ) -> tuple[list[tuple[int, bool]], int]:
        """Keys for syms[start:end], remapping spare keycodes; as far as the spares reach."""
        free = [kc for kc in spares if kc not in self._assigned] + list(self._assigned)
        used: set[int] = set()  # keycodes this segment presses: not to be remapped again
        steps: list[tuple[int, bool]] = []
        end = start
        for ks in syms[start:]:
            if ks not in where:
                free = [kc for kc in free if kc not in used]
                if not free:
                    break
                kc = free[0]
                if kc in self._assigned:  # evicting a keysym typed earlier
                    if steps:
                        break  # type this segment first; the next one starts with the wait
                    if self.config.restore_after_s:
                        # Clients may not have read its old keysym yet: give them the time.
                        time.sleep(self.config.restore_after_s)
                    where.pop(self._assigned.pop(kc), None)
                free.pop(0)
                dpy.change_mapping(kc, [ks, ks] + [NO_SYMBOL] * (width - 2))
                self._assigned[kc] = ks
                where[ks] = (kc, False)
            else:  # keep the LRU order of reused spare keycodes
                kc = where[ks][0]
                if kc in self._assigned:
                    self._assigned[kc] = self._assigned.pop(kc)
            used.add(where[ks][0])
            steps.append(where[ks])
            end += 1
        if not steps:
            raise XlibError("no spare keycode to remap: the keymap is full")
        dpy.sync()  # the new mapping is in place before the key events that use it
        return steps, end
