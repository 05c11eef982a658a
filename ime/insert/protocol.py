"""The Inserter protocol every platform back end implements, and its shared settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

#: Key actions the pad's bottom row sends (X11 keysym names; each back end maps them).
Key = Literal["BackSpace", "Return", "space"]
KEYS: tuple[str, ...] = ("BackSpace", "Return", "space")


@runtime_checkable
class Inserter(Protocol):
    """Puts committed text into the application that has the keyboard focus.

    Implementations never raise: a failure returns False and is logged (the fallback chain in
    ``ime.insert.chain`` then leaves the text on the clipboard). They trust ``text``: the
    chain's entry (``FallbackInserter.insert``) has checked it once with ``check_text``.
    """

    #: Short, user-facing name shown in the settings dialog (e.g. "X11 XTest").
    name: str

    def insert(self, text: str) -> bool:
        """Type ``text`` into the focused application; True when it was sent."""
        ...

    def key(self, name: Key) -> bool:
        """Press and release one of ``KEYS`` in the focused application; True when sent."""
        ...

    def notice(self, lang: str) -> str:
        """What the pad shows while this inserter is in use, in ``lang`` ("zh" or "en", through
        ``ime.i18n.tr``); "" when there is nothing to say (a back end that types)."""
        ...


@dataclass
class InsertConfig:
    """Timing and behaviour of the inserters (a plain object so tests can zero the delays).

    Attributes:
        key_delay_s: pause between two typed characters, seconds. Browsers (Chromium, Firefox)
            are reported to drop characters of fast synthetic bursts; 12 ms is xdotool's
            default, the figure its users settled on (not measured against a browser here).
            Zero in tests of faked back ends.
        restore_after_s: how long a temporary change (an X keysym remapping, the clipboard in
            paste mode) is kept after the last key before it is undone, seconds. The target
            application reads the keymap / the clipboard asynchronously after our key events,
            so undoing at once makes it see the old state and drop or mis-paste the text
            (measured: all characters lost when undone at once). Generous, because a busy
            application reads late; keeping a spare keycode mapped a while costs nothing.
        paste_keys: the shortcut paste mode sends: "ctrl+v" for most applications,
            "shift+insert" for terminals (xterm, urxvt, many VTE terminals paste with it).
        command_timeout_s: limit for helper programs (wtype, xclip, wl-copy), seconds.
    """

    key_delay_s: float = 0.012
    restore_after_s: float = 1.0
    paste_keys: Literal["ctrl+v", "shift+insert"] = "ctrl+v"
    command_timeout_s: float = 3.0

    def __post_init__(self) -> None:
        if self.key_delay_s < 0 or self.restore_after_s < 0 or self.command_timeout_s <= 0:
            raise ValueError(f"delays must be >= 0 and the timeout > 0: {self}")
        if self.paste_keys not in ("ctrl+v", "shift+insert"):
            raise ValueError(f"paste_keys must be 'ctrl+v' or 'shift+insert': {self.paste_keys!r}")


def check_text(text: object) -> str | None:
    """Return why ``text`` cannot be inserted, or None when it is a string (empty is fine).

    Called once, at the chain's entry; the back ends trust what they get."""
    if not isinstance(text, str):
        return f"text must be a str, not {type(text).__name__}"
    return None
