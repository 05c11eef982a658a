"""A deterministic stand-in for the recognizer, for the pad's tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ANSWER = "中申甲由电田日曰白目"


@dataclass(frozen=True)
class FakeCandidate:
    char: str
    prob: float


class FakeRecognizer:
    """Deterministic stand-in for engine.recognizer.Recognizer that records the inks it got.

    The answer is ANSWER rotated by the ink's stroke count, so a test can tell which ink a
    shown result belongs to. ``gate``: when set, each call waits for it (to hold a result back).
    """

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.inks: list[Any] = []
        self.gate = gate
        self.started = threading.Event()

    @staticmethod
    def answer_for(num_strokes: int) -> list[str]:
        k = num_strokes % len(ANSWER)
        return list(ANSWER[k:] + ANSWER[:k])

    def recognize(self, ink: Any, n: int = 10) -> Sequence[FakeCandidate]:
        self.inks.append(ink)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        chars = self.answer_for(len(ink.strokes))[:n]
        return [FakeCandidate(c, 1.0 / (i + 1)) for i, c in enumerate(chars)]
