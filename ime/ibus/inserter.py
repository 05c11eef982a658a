"""The "ibus" inserter: the text goes through Xiezi's IBus engine (``commit_text``) while it
is the active input method, else through the back end the chain chose as before."""

from __future__ import annotations

import logging

from ime.ibus.link import IBusLink
from ime.insert.protocol import Inserter, Key, check_text

logger = logging.getLogger(__name__)


class IBusInserter:
    """``insert`` commits through ``link`` while Xiezi is the active IBus engine with a focused
    client; otherwise (and for ``key``: keys are the application's) ``other``, the chain of
    ``ime.insert.choose_inserter``, does the work. Wraps the chain's entry rather than sitting
    in it: ``ime.insert`` knows nothing of IBus (the bridge is optional, and the chain's modes
    and the settings dialog stay as they are)."""

    def __init__(self, link: IBusLink, other: Inserter) -> None:
        self.link = link
        self.other = other

    @property
    def name(self) -> str:
        return "IBus" if self.link.active else self.other.name

    @property
    def to_clipboard(self) -> bool:
        """The text goes to the clipboard, not into the application (the pad says so)."""
        return not self.link.active and bool(getattr(self.other, "to_clipboard", False))

    def insert(self, text: str) -> bool:
        if self.link.active and check_text(text) is None:
            if self.link.commit(text):
                return True
            logger.warning("the IBus bridge did not take %r; using %s", text, self.other.name)
        return self.other.insert(text)

    def key(self, name: Key) -> bool:
        return self.other.key(name)

    def notice(self, lang: str) -> str:
        return "" if self.link.active else self.other.notice(lang)

    def close(self) -> None:
        close = getattr(self.other, "close", None)
        if close is not None:
            close()
