"""When to auto-commit: after a pause clearly longer than the writer's own pauses inside a
character, learned as they write. Pure Python, no Qt (``bench/bench_autocommit.py`` runs it).

Issue 15: a fixed 800 ms typed 了口一 for a 中 written with one-second pauses between strokes.
Pauses inside a character differ several-fold between writers, so the commit pause is
``factor`` x a high quantile of this writer's recent pauses + ``margin_ms``; until enough
pauses are seen it is at least ``start_ms``, safe for slow writers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class PauseConfig:
    """How the commit pause follows the writer.

    Attributes:
        start_ms: the commit pause before ``min_samples`` pauses are known (and its floor
            until then): a 1 s pause inside a character must not commit.
        floor_ms, ceiling_ms: the learned commit pause stays within these.
        quantile: which of the writer's pauses the commit pause must clear (0.95: all but
            the longest one in twenty).
        factor, margin_ms: commit pause = factor x that quantile + margin ("clearly longer").
        min_samples: pauses known before the learned value alone decides.
        keep: how many recent pauses are kept (older ones are forgotten: writers change).
    """

    start_ms: int = 2000
    floor_ms: int = 600
    ceiling_ms: int = 6000
    quantile: float = 0.95
    factor: float = 1.5
    margin_ms: int = 300
    min_samples: int = 12
    keep: int = 64

    def __post_init__(self) -> None:
        if not (
            0 < self.floor_ms <= self.start_ms <= self.ceiling_ms
            and 0 < self.quantile <= 1
            and self.factor >= 1
            and self.min_samples >= 1
            and self.keep >= self.min_samples
        ):
            raise ValueError(f"inconsistent PauseConfig: {self}")


def stroke_pauses(strokes: Sequence[Sequence[Sequence[float]]]) -> list[float]:
    """Pen-up to pen-down pauses (ms) between consecutive strokes of one character.

    ``strokes``: each a sequence of (x, y, t_ms) points; k strokes give k - 1 pauses.
    """
    return [max(0.0, b[0][2] - a[-1][2]) for a, b in pairwise(strokes) if a and b]


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile of values, linear between order statistics (numpy's default)."""
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


class PauseModel:
    """The writer's recent pauses inside characters and the commit pause they imply."""

    def __init__(self, config: PauseConfig | None = None, pauses: Iterable[float] = ()) -> None:
        self.config = config or PauseConfig()
        self._pauses: deque[float] = deque(pauses, maxlen=self.config.keep)

    @property
    def pauses(self) -> list[int]:
        """The pauses kept, in ms, oldest first (what the settings store)."""
        return [round(p) for p in self._pauses]

    def delay_ms(self) -> int:
        """The pause after a pen-up that commits the character."""
        c = self.config
        if not self._pauses:
            return c.start_ms
        learned = c.factor * quantile(self._pauses, c.quantile) + c.margin_ms
        learned = min(max(learned, c.floor_ms), c.ceiling_ms)
        if len(self._pauses) < c.min_samples:
            learned = max(learned, c.start_ms)
        return round(learned)

    def learn(self, pauses: Iterable[float]) -> None:
        """Add the pauses inside one finished character (``stroke_pauses``); a pause over a
        minute (the writer left, auto-commit off) counts as a minute."""
        self._pauses.extend(min(float(p), 60_000.0) for p in pauses)

    def too_early(self, pause_ms: float) -> None:
        """An auto-commit after ``pause_ms`` was taken back (Backspace right after it): that
        pause was inside a character. It counts as often as the quantile looks at, so the
        next commit pause clears it."""
        c = self.config
        times = max(1, math.ceil(len(self._pauses) * (1 - c.quantile)) + 1)
        self._pauses.extend([float(pause_ms)] * times)
