"""The one shape of a character recognizer: the engine's Recognizer, the pad's service and the
bench's reference recognizers (dinkit, zinnia) all read ink through it (issue 16)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from engine.ink import Ink


@dataclass(frozen=True)
class Candidate:
    """One recognized character and its probability (softmax over the model's classes)."""

    char: str
    prob: float


@runtime_checkable
class InkRecognizer(Protocol):
    """Reads validated ink (engine.ink.make_ink) and ranks candidate characters, best first.

    ``Candidate.prob`` is a probability where the recognizer has one (the engine's softmax);
    a recognizer that only ranks (dinkit, zinnia) gives NaN.
    """

    def recognize(self, ink: Ink, n: int = 10) -> Sequence[Candidate]:
        """The ``n`` most likely characters for one ink, best first."""
        ...

    def recognize_batch(self, inks: Sequence[Ink], n: int = 10) -> Sequence[Sequence[Candidate]]:
        """recognize() of each ink, in order."""
        ...
