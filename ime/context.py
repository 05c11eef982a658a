"""What the pad typed just before: the text the next character is read after (issue 24).

Pure Python, no Qt. The controller keeps one ``TypedText``: every commit, punctuation mark,
space and newline is added, a Backspace takes the last character back, and the text is
forgotten when the user moves to another window or pauses a long time (the controller's
``forget_after`` delay), since the text before the cursor is then no longer known.
"""

from __future__ import annotations

#: Characters of context kept: the language model reads only the last few (issue 24 asks for
#: "the text just before"); 20 covers a phrase, and a long Backspace run still has some left.
CONTEXT_CHARS = 20
#: Without writing or committing for this long, the text before the cursor is not trusted (ms):
#: the user may have clicked elsewhere in the same window, or typed with the keyboard.
FORGET_MS = 60_000


class TypedText:
    """The text the pad typed recently into one window, newest last (``keep`` characters).

    ``target`` is the window it went into when the platform can tell (an X window id), else
    None: then only the pause rule forgets it.
    """

    def __init__(self, keep: int = CONTEXT_CHARS) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1 character, got {keep}")
        self.keep = keep
        self.text = ""
        self.target: int | None = None

    def add(self, text: str) -> None:
        """Text typed into the target (a character, a mark, " ", "\\n")."""
        self.text = (self.text + text)[-self.keep :]

    def backspace(self) -> None:
        """A Backspace in the target: its last character is gone (nothing when none is known)."""
        self.text = self.text[:-1]

    def reset(self) -> None:
        """Forget the text (the window stays the one it goes into)."""
        self.text = ""

    def follow(self, target: int | None) -> bool:
        """The window that has the focus now (None: unknown). Text typed into another window
        does not precede what goes into this one: it is forgotten. True when it was."""
        if target is None or target == self.target:
            return False
        moved = self.target is not None
        self.target = target
        if moved and self.text:
            self.reset()
            return True
        return False
