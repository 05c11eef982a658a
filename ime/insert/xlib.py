"""A minimal ctypes binding of libX11 + libXtst: the calls the X11 inserter needs, no more."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Any

logger = logging.getLogger(__name__)

KeySym = ctypes.c_ulong
NO_SYMBOL = 0
#: XGetInputFocus's answers that name no window (X.h: None, PointerRoot).
NONE, POINTER_ROOT = 0, 1
REVERT_TO_PARENT, CURRENT_TIME = 2, 0


class XlibError(Exception):
    """libX11 / libXtst missing, a display that cannot be opened, or an X protocol error."""


class _XErrorEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


class _XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("border_width", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p),
        ("root", ctypes.c_ulong),
        ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int),
        ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long),
        ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int),
        ("screen", ctypes.c_void_p),
    ]


_ERROR_HANDLER_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))
_libs: tuple[Any, Any] | None = None
_errors: dict[int, list[str]] = {}  # display pointer → errors since its last sync


@_ERROR_HANDLER_TYPE
def _on_error(display: int, event: Any) -> int:
    # Xlib's default handler prints and exit()s the whole process; record the error instead.
    e = event.contents
    _errors.setdefault(display or 0, []).append(
        f"X error {e.error_code} (request {e.request_code}.{e.minor_code})"
    )
    return 0


def _load(name: str) -> Any:
    path = ctypes.util.find_library(name) or f"lib{name}.so.6"
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise XlibError(f"cannot load lib{name}: {e}") from e


def libraries() -> tuple[Any, Any]:
    """(libX11, libXtst) with argument types declared; raises XlibError when missing."""
    global _libs
    if _libs is None:
        x11, xtst = _load("X11"), _load("Xtst")
        p, i, u = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint
        pi = ctypes.POINTER(ctypes.c_int)
        x11.XOpenDisplay.restype = p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XCloseDisplay.argtypes = [p]
        x11.XDisplayKeycodes.argtypes = [p, pi, pi]
        x11.XGetKeyboardMapping.restype = ctypes.POINTER(KeySym)
        x11.XGetKeyboardMapping.argtypes = [p, ctypes.c_ubyte, i, pi]
        x11.XChangeKeyboardMapping.argtypes = [p, i, i, ctypes.POINTER(KeySym), i]
        x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        x11.XKeysymToKeycode.argtypes = [p, KeySym]
        x11.XFree.argtypes = [p]
        x11.XSync.argtypes = [p, i]
        x11.XFlush.argtypes = [p]
        x11.XSetErrorHandler.restype = p
        x11.XSetErrorHandler.argtypes = [_ERROR_HANDLER_TYPE]
        x11.XGetInputFocus.argtypes = [p, ctypes.POINTER(ctypes.c_ulong), pi]
        x11.XSetInputFocus.argtypes = [p, ctypes.c_ulong, i, ctypes.c_ulong]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [p]
        ul, pul = ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong)
        x11.XInternAtom.restype = ul
        x11.XInternAtom.argtypes = [p, ctypes.c_char_p, i]
        x11.XGetWindowProperty.argtypes = [
            p,
            ul,
            ul,
            ctypes.c_long,
            ctypes.c_long,
            i,
            ul,
            pul,
            pi,
            pul,
            pul,
            ctypes.POINTER(pul),
        ]
        x11.XQueryTree.argtypes = [p, ul, pul, pul, ctypes.POINTER(pul), ctypes.POINTER(u)]
        x11.XGetWindowAttributes.argtypes = [p, ul, ctypes.POINTER(_XWindowAttributes)]
        xtst.XTestQueryExtension.argtypes = [p, pi, pi, pi, pi]
        xtst.XTestFakeKeyEvent.argtypes = [p, u, i, ctypes.c_ulong]
        x11.XSetErrorHandler(_on_error)
        _libs = (x11, xtst)
    return _libs


class XDisplay:
    """One connection to an X server, used from one thread at a time (the caller locks)."""

    def __init__(self, name: str | None = None) -> None:
        self._x11, self._xtst = libraries()
        self._dpy = self._x11.XOpenDisplay(name.encode() if name else None)
        if not self._dpy:
            raise XlibError(f"cannot open X display {name or '(DISPLAY)'}")
        ints = [ctypes.c_int() for _ in range(4)]
        if not self._xtst.XTestQueryExtension(self._dpy, *[ctypes.byref(v) for v in ints]):
            self.close()
            raise XlibError(f"X display {name} has no XTEST extension")

    def keycode_range(self) -> tuple[int, int]:
        lo, hi = ctypes.c_int(), ctypes.c_int()
        self._x11.XDisplayKeycodes(self._dpy, ctypes.byref(lo), ctypes.byref(hi))
        return lo.value, hi.value

    def get_mapping(self, first: int, count: int) -> list[list[int]]:
        """Keysym rows of keycodes first .. first + count - 1 (NO_SYMBOL where empty)."""
        per = ctypes.c_int()
        syms = self._x11.XGetKeyboardMapping(self._dpy, first, count, ctypes.byref(per))
        if not syms:
            raise XlibError("XGetKeyboardMapping failed")
        try:
            n = per.value
            return [[int(syms[k * n + j]) for j in range(n)] for k in range(count)]
        finally:
            self._x11.XFree(syms)

    def change_mapping(self, keycode: int, row: list[int]) -> None:
        arr = (KeySym * len(row))(*row)
        self._x11.XChangeKeyboardMapping(self._dpy, keycode, len(row), arr, 1)

    def keysym_to_keycode(self, keysym: int) -> int:
        return int(self._x11.XKeysymToKeycode(self._dpy, keysym))

    def fake_key(self, keycode: int, press: bool) -> None:
        self._xtst.XTestFakeKeyEvent(self._dpy, keycode, 1 if press else 0, 0)

    def flush(self) -> None:
        self._x11.XFlush(self._dpy)

    def input_focus(self) -> int:
        """The window with the keyboard focus: an id, or NONE / POINTER_ROOT."""
        window, revert = ctypes.c_ulong(), ctypes.c_int()
        self._x11.XGetInputFocus(self._dpy, ctypes.byref(window), ctypes.byref(revert))
        return int(window.value)

    def root_window(self) -> int:
        return int(self._x11.XDefaultRootWindow(self._dpy))

    def atom(self, name: str) -> int:
        """The atom of ``name`` (0 when no client ever interned it)."""
        return int(self._x11.XInternAtom(self._dpy, name.encode(), 1))

    def window_property(self, window: int, name: str) -> list[int] | None:
        """A 32-bit list property (WINDOW, ATOM, CARDINAL) of ``window``; None when unset."""
        atom = self.atom(name)
        if not atom:
            return None
        kind, fmt = ctypes.c_ulong(), ctypes.c_int()
        count, after = ctypes.c_ulong(), ctypes.c_ulong()
        data = ctypes.POINTER(ctypes.c_ulong)()
        status = self._x11.XGetWindowProperty(
            self._dpy,
            window,
            atom,
            0,
            4096,
            0,
            0,  # AnyPropertyType
            ctypes.byref(kind),
            ctypes.byref(fmt),
            ctypes.byref(count),
            ctypes.byref(after),
            ctypes.byref(data),
        )
        try:
            self.sync()
            if status != 0 or not kind.value or fmt.value != 32:
                return None
            # Xlib hands format-32 items back as C longs, whatever their size on the wire.
            return [int(data[k]) for k in range(count.value)]
        finally:
            if data:
                self._x11.XFree(data)

    def parent(self, window: int) -> int:
        """The parent of ``window`` (0 for the root window)."""
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        ok = self._x11.XQueryTree(
            self._dpy,
            window,
            ctypes.byref(root),
            ctypes.byref(parent),
            ctypes.byref(children),
            ctypes.byref(n),
        )
        if children:
            self._x11.XFree(children)
        self.sync()
        if not ok:
            raise XlibError(f"XQueryTree failed for window {window:#x}")
        return int(parent.value)

    def override_redirect(self, window: int) -> bool:
        """Whether ``window`` bypasses the window manager (menus, tooltips, splash windows)."""
        attrs = _XWindowAttributes()
        ok = self._x11.XGetWindowAttributes(self._dpy, window, ctypes.byref(attrs))
        self.sync()
        if not ok:
            raise XlibError(f"XGetWindowAttributes failed for window {window:#x}")
        return bool(attrs.override_redirect)

    def set_input_focus(self, window: int) -> None:
        """Give ``window`` the keyboard focus (reverting to its parent when it goes away)."""
        self._x11.XSetInputFocus(self._dpy, window, REVERT_TO_PARENT, CURRENT_TIME)

    def sync(self) -> None:
        """Wait until the server processed every request; raise XlibError for any X error."""
        self._x11.XSync(self._dpy, 0)
        errors = _errors.pop(self._dpy, [])
        if errors:
            raise XlibError("; ".join(errors))

    def close(self) -> None:
        if self._dpy:
            self._x11.XCloseDisplay(self._dpy)
            _errors.pop(self._dpy, None)
            self._dpy = None
