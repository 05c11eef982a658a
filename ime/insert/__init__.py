"""Text into the focused application: the Inserter protocol, the back ends and their chain.

Use ``choose_inserter()`` once at start-up and call ``insert(text)`` / ``key(name)`` on it;
tests use ``tests.support.recording_inserter.RecordingInserter``. See docs/insertion.md for the
chain and what each desktop allows.
"""

from ime.insert.chain import (
    MODES,
    FallbackInserter,
    available_modes,
    choose_inserter,
    describe_chain,
)
from ime.insert.clipboard import (
    Clipboard,
    ClipboardInserter,
    MemoryClipboard,
    default_clipboard,
)
from ime.insert.protocol import KEYS, InsertConfig, Inserter, Key

__all__ = [
    "KEYS",
    "MODES",
    "Clipboard",
    "ClipboardInserter",
    "FallbackInserter",
    "InsertConfig",
    "Inserter",
    "Key",
    "MemoryClipboard",
    "available_modes",
    "choose_inserter",
    "default_clipboard",
    "describe_chain",
]
