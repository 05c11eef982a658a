"""A deterministic stand-in for the recognizer, for the pad's tests."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ANSWER = "中申甲由电田日曰白目"


@dataclass(frozen=True)
class FakeCandidate:
    char: str
    prob: float


class FakeRecognizer:
    """Deterministic stand-in for engine.recognizer.Recognizer that records the inks it got
    and the context each came with (``contexts``, None where none was given).

    The answer is ANSWER rotated by the ink's stroke count, so a test can tell which ink a
    shown result belongs to. ``follow``: context -> character: when the context ends with
    a key, its character comes first (a language model in miniature, so a test can tell which
    context a shown result was ranked with). ``gate``: when set, each call waits for it (to
    hold a result back).
    """

    def __init__(
        self, gate: threading.Event | None = None, follow: Mapping[str, str] | None = None
    ) -> None:
        self.inks: list[Any] = []
        self.contexts: list[str | None] = []
        self.gate = gate
        self.follow = dict(follow or {})
        self.started = threading.Event()

    @staticmethod
    def answer_for(num_strokes: int) -> list[str]:
        k = num_strokes % len(ANSWER)
        return list(ANSWER[k:] + ANSWER[:k])

    def ranked(self, num_strokes: int, context: str | None) -> list[str]:
        """What recognize() answers for an ink of num_strokes strokes after context."""
        chars = self.answer_for(num_strokes)
        if context:
            for key, char in self.follow.items():
                if context.endswith(key):
                    chars = [char] + [c for c in chars if c != char]
                    break
        return chars

    def recognize(
        self, ink: Any, n: int = 10, context: str | None = None
    ) -> Sequence[FakeCandidate]:
        self.inks.append(ink)
        self.contexts.append(context)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        chars = self.ranked(len(ink.strokes), context)[:n]
        return [FakeCandidate(c, 1.0 / (i + 1)) for i, c in enumerate(chars)]

    def recognize_batch(
        self,
        inks: Sequence[Any],
        n: int = 10,
        contexts: Sequence[str | None] | None = None,
    ) -> list[Sequence[FakeCandidate]]:
        return [
            self.recognize(ink, n, c)
            for ink, c in zip(inks, contexts or [None] * len(inks), strict=True)
        ]
