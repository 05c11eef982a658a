"""Give the keyboard focus back after the pad's own dialog took it (issue 15).

The pad never takes the focus, but its Settings dialog must (it has fields to type in). When
the dialog closes, the focus falls to the root window (no window manager) or wherever the
window manager likes, and the next commit would go nowhere. ``FocusKeeper.remember()`` notes
the focused window before the dialog opens; ``restore()`` focuses it again afterwards.
Only X11 allows this to a client; elsewhere both do nothing. ``focused()`` tells which window
the pad is typing into, so the text typed before is forgotten when it changes (issue 24).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Protocol

from ime.insert.x11_clients import ClientDisplay, focused_application
from ime.insert.xlib import XDisplay, XlibError

logger = logging.getLogger(__name__)


class FocusDisplay(ClientDisplay, Protocol):
    """The X calls used here (``xlib.XDisplay``; a fake in unit tests): those that find the
    focused application (``ClientDisplay``) and these."""

    def set_input_focus(self, window: int) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


class FocusKeeper:
    """Remembers which window had the keyboard focus and gives it back. Never raises."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        open_display: Callable[[str | None], FocusDisplay] = XDisplay,
    ) -> None:
        environ = os.environ if environ is None else environ
        # Under Wayland (even with XWayland's DISPLAY) X clients cannot move the focus.
        self._display_name = None if environ.get("WAYLAND_DISPLAY") else environ.get("DISPLAY")
        self._open = open_display
        self._cannot_open = False
        self.window: int | None = None

    def _with_display(self, use: Callable[[FocusDisplay], int | None]) -> int | None:
        if not self._display_name:
            return None
        try:
            dpy = self._open(self._display_name)
        except XlibError as e:
            if not self._cannot_open:
                logger.info("cannot keep the focus: %s", e)
            self._cannot_open = True
            return None
        try:
            return use(dpy)
        except XlibError as e:
            logger.warning("cannot move the focus: %s", e)
            return None
        finally:
            dpy.close()

    def focused(self) -> int | None:
        """The application window that has the focus now; None when none has it or this
        platform cannot tell (asked at each character: a display that could not be opened
        is not asked again)."""
        if self._cannot_open:
            return None
        return self._with_display(_application_focus)

    def remember(self) -> int | None:
        """Note the window that has the focus now (None when no application window has it)."""
        self.window = self._with_display(_application_focus)
        logger.debug("focus remembered: %s", self.window)
        return self.window

    def restore(self) -> bool:
        """Focus the remembered window again; True when it has the focus afterwards."""
        window = self.window
        if window is None:
            return False

        def put(dpy: FocusDisplay) -> int | None:
            dpy.set_input_focus(window)
            dpy.sync()  # raises XlibError when the window is gone (BadWindow)
            return dpy.input_focus()

        return self._with_display(put) == window


def _application_focus(dpy: FocusDisplay) -> int | None:
    return focused_application(dpy)
