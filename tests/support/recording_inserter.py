"""RecordingInserter: a fake inserter that records what was committed, for tests and bench."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ime.insert.protocol import KEYS, Key

logger = logging.getLogger(__name__)


@dataclass
class RecordingInserter:
    """Records committed text and keys instead of sending them anywhere.

    Attributes:
        name: shown like a real back end's name.
        succeed: what ``insert`` and ``key`` return; False simulates a failing back end
            (the attempt then goes to ``failed``, not ``events``).
        events: ("text", s) or ("key", name) for each successful call, in order.
        failed: the same pairs for the calls that returned False.
    """

    name: str = "recording"
    succeed: bool = True
    events: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def insert(self, text: str) -> bool:
        (self.events if self.succeed else self.failed).append(("text", text))
        return self.succeed

    def key(self, name: Key) -> bool:
        if name not in KEYS:
            logger.warning("unknown key %r (known: %s)", name, ", ".join(KEYS))
            return False
        (self.events if self.succeed else self.failed).append(("key", name))
        return self.succeed

    def notice(self, lang: str) -> str:
        """Nothing to show, like a back end that types."""
        return ""

    @property
    def committed(self) -> list[str]:
        """The texts inserted, in order."""
        return [v for kind, v in self.events if kind == "text"]

    @property
    def keys(self) -> list[str]:
        """The keys pressed, in order."""
        return [v for kind, v in self.events if kind == "key"]

    @property
    def text(self) -> str:
        """What a plain text field would hold after these events (BackSpace deletes)."""
        out: list[str] = []
        for kind, v in self.events:
            if kind == "text":
                out.extend(v)
            elif v == "BackSpace":
                if out:
                    out.pop()
            else:
                out.append("\n" if v == "Return" else " ")
        return "".join(out)

    def clear(self) -> None:
        self.events.clear()
        self.failed.clear()
