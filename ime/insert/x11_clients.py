"""Which X window counts as "an application has the focus" (issue 23).

The X input focus may sit on a window that is nobody's text field: None, PointerRoot, the
root window, but also a window of the window manager's own (openbox focuses one when the user
clicks the desktop, and ``_NET_ACTIVE_WINDOW`` is then 0), a desktop or a panel, or an
override-redirect window. Keys sent there are lost without a trace, so a commit must go to the
clipboard with a notice instead. A window counts as an application when it, or one of its
ancestors, is a normal client: listed in the root's ``_NET_CLIENT_LIST`` when the window
manager publishes one (EWMH), else a top-level window that is not override-redirect; in both
cases not typed ``_NET_WM_WINDOW_TYPE_DESKTOP`` or ``_DOCK``.
"""

from __future__ import annotations

from typing import Protocol

from ime.insert.xlib import NONE, POINTER_ROOT

#: Window types (EWMH) that are part of the desktop, not applications.
NOT_APPLICATIONS = ("_NET_WM_WINDOW_TYPE_DESKTOP", "_NET_WM_WINDOW_TYPE_DOCK")
#: How far up the window tree a focused window's client is looked for (toolkits nest a few).
MAX_DEPTH = 64


class ClientDisplay(Protocol):
    """The X calls used here (``xlib.XDisplay``; ``tests/support/fake_display.py``)."""

    def input_focus(self) -> int: ...
    def root_window(self) -> int: ...
    def atom(self, name: str) -> int: ...
    def window_property(self, window: int, name: str) -> list[int] | None: ...
    def parent(self, window: int) -> int: ...
    def override_redirect(self, window: int) -> bool: ...


def focused_application(dpy: ClientDisplay) -> int | None:
    """The focused window when it belongs to a normal application client, else None.

    Raises ``XlibError`` when the server answers with an error (a window that went away).
    """
    focus = dpy.input_focus()
    root = dpy.root_window()
    if focus in (NONE, POINTER_ROOT) or focus == root:
        return None
    chain = [focus]  # the focused window and its ancestors below the root
    while len(chain) < MAX_DEPTH:
        up = dpy.parent(chain[-1])
        if up in (NONE, root):
            break
        chain.append(up)
    clients = dpy.window_property(root, "_NET_CLIENT_LIST")
    if clients is not None:
        listed = set(clients)
        client = next((w for w in chain if w in listed), None)
        if client is None:  # the window manager's own window, a panel, a popup
            return None
    else:
        client = chain[-1]
        if dpy.override_redirect(client):
            return None
    types = set(dpy.window_property(client, "_NET_WM_WINDOW_TYPE") or [])
    if any(dpy.atom(name) in types for name in NOT_APPLICATIONS):
        return None
    return focus
