"""X11 paste mode: put the text on the clipboard, send Ctrl+V (or Shift+Insert), restore it.

For applications that mishandle synthetic key events of remapped keysyms (some Java and
Electron applications, remote desktops). The previous clipboard text comes back
``InsertConfig.restore_after_s`` later: the application fetches the clipboard asynchronously
after the shortcut, so restoring at once would paste the old text.
"""

from __future__ import annotations

import logging

from ime.insert.clipboard import Clipboard
from ime.insert.later import Scheduler, call_later
from ime.insert.protocol import InsertConfig, Key
from ime.insert.x11 import X11Inserter, XK_Control_L, XK_Insert, XK_Shift_L

logger = logging.getLogger(__name__)

SHORTCUTS: dict[str, list[int]] = {
    "ctrl+v": [XK_Control_L, ord("v")],
    "shift+insert": [XK_Shift_L, XK_Insert],
}


class X11PasteInserter:
    """Pastes through the clipboard; keys go through ``keys`` (an X11Inserter)."""

    name = "X11 paste"

    def __init__(
        self,
        keys: X11Inserter,
        clipboard: Clipboard,
        config: InsertConfig | None = None,
        *,
        schedule: Scheduler | None = None,
    ) -> None:
        self.keys = keys
        self.clipboard = clipboard
        self.config = config or InsertConfig()
        self._schedule = schedule or call_later
        self._generation = 0

    def insert(self, text: str) -> bool:
        if not text:
            return True
        previous = self.clipboard.get_text()
        if not self.clipboard.set_text(text):
            return False
        if not self.keys.press_combo(SHORTCUTS[self.config.paste_keys]):
            return False  # the text stays on the clipboard for the user
        self._generation += 1
        generation = self._generation
        if previous is not None and previous != text:
            self._schedule(
                self.config.restore_after_s, lambda: self._restore(generation, text, previous)
            )
        return True

    def _restore(self, generation: int, pasted: str, previous: str) -> None:
        # Not when another paste followed, nor when the user copied something else since.
        if generation == self._generation and self.clipboard.get_text() == pasted:
            self.clipboard.set_text(previous)

    def key(self, name: Key) -> bool:
        return self.keys.key(name)

    def notice(self, lang: str) -> str:
        """Nothing to show: this back end pastes the text into the application itself."""
        return ""

    def close(self) -> None:
        self.keys.close()
