"""Auto-commit with synthesized writers: partial commits and time to commit, per policy.

    .venv/bin/python bench/bench_autocommit.py [--chars 300] [--seed 0] [--json out.json]

Issue 15: a fixed 800 ms typed 了口一 for a 中 written with one-second pauses. Each writer
writes ``--chars`` characters as a new user (nothing learned yet). A character has
1 + Binomial(20, 0.4) strokes (mean 9, about GB2312 level 1's mean); each pause between two
of its strokes is drawn from the writer's log-normal (median, sigma); a "careful" writer also
stops to think inside 3% of characters (log-normal, median 2.5 s). A character is committed
in pieces ("partial") when one of its pauses reaches the commit pause in force at that moment;
the writer then presses Backspace, which ``ime.pauses.PauseModel.too_early`` learns from.
Time to commit: the commit pause after the last stroke of each whole character.

The policies are ``ime.pauses`` (what the pad runs, "learn") and fixed pauses. Figures of
seed 0, 300 characters per writer (a table of this script's output):

| writer (median pause, sigma) | policy | partial, all | partial, first 30 | commit after (median, p90) |
|---|---|---|---|---|
| fast (180 ms, 0.45) | fixed 800 ms | 0.0% | 0.0% | 800 / 800 ms |
| fast (180 ms, 0.45) | learned | 0.0% | 0.0% | 862 / 950 ms |
| average (350 ms, 0.5) | fixed 800 ms | 34.0% | 33.3% | 800 / 800 ms |
| average (350 ms, 0.5) | learned | 1.3% | 0.0% | 1494 / 1958 ms |
| slow (800 ms, 0.45) | fixed 800 ms | 99.0% | 93.3% | 800 / 800 ms |
| slow (800 ms, 0.45) | learned | 2.0% | 0.0% | 2816 / 3848 ms |
| careful (1000 ms, 0.35) + thinking | fixed 800 ms | 100.0% | 100.0% | - |
| careful (1000 ms, 0.35) + thinking | learned | 1.3% | 3.3% | 2996 / 3874 ms |

(Regenerate with the command above; the README quotes the learned rows.)
"""  # noqa: E501 (a table of results)

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ime.pauses import PauseModel


@dataclass(frozen=True)
class Writer:
    """Pauses inside a character: log-normal with this median (ms) and sigma; ``think``: the
    share of characters with one long stop (median ``think_ms``) somewhere inside."""

    name: str
    median_ms: float
    sigma: float
    think: float = 0.0
    think_ms: float = 2500.0

    def character(self, rng: random.Random) -> list[float]:
        """The pauses (ms) between the strokes of one character."""
        strokes = 1 + sum(rng.random() < 0.4 for _ in range(20))
        pauses = [rng.lognormvariate(_ln(self.median_ms), self.sigma) for _ in range(strokes - 1)]
        if pauses and rng.random() < self.think:
            pauses[rng.randrange(len(pauses))] = rng.lognormvariate(_ln(self.think_ms), 0.3)
        return pauses


WRITERS = (
    Writer("fast (180 ms, 0.45)", 180, 0.45),
    Writer("average (350 ms, 0.5)", 350, 0.5),
    Writer("slow (800 ms, 0.45)", 800, 0.45),
    Writer("careful (1000 ms, 0.35) + thinking", 1000, 0.35, think=0.03),
)


def _ln(x: float) -> float:
    import math

    return math.log(x)


class Fixed:
    """A fixed commit pause (the pad before issue 15: 800 ms)."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def delay_ms(self) -> int:
        return self.ms

    def learn(self, pauses: list[float]) -> None:
        pass

    def too_early(self, pause_ms: float) -> None:
        pass


def simulate(writer: Writer, policy: Fixed | PauseModel, chars: int, seed: int) -> dict:
    """Write ``chars`` characters; returns partial shares and commit-pause statistics."""
    rng = random.Random(seed)
    partial: list[bool] = []
    waits: list[int] = []
    for _ in range(chars):
        pauses = writer.character(rng)
        piece: list[float] = []
        broken = False
        for p in pauses:
            delay = policy.delay_ms()
            if p >= delay:  # the timer fired inside the character: a piece is committed
                broken = True
                policy.learn(piece)
                policy.too_early(delay)  # the writer deletes it with Backspace
                piece = []
            else:
                piece.append(p)
        waits.append(policy.delay_ms())
        policy.learn(piece)
        partial.append(broken)
    whole = [w for w, b in zip(waits, partial, strict=True) if not b]
    return {
        "partial": sum(partial) / chars,
        "partial_first30": sum(partial[:30]) / min(30, chars),
        "commit_median_ms": statistics.median(whole) if whole else None,
        "commit_p90_ms": statistics.quantiles(whole, n=10)[-1] if len(whole) > 1 else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chars", type=int, default=300, help="characters per writer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    rows = []
    print(
        "| writer (median pause, sigma) | policy | partial, all | partial, first 30 "
        "| commit after (median, p90) |"
    )
    print("|---|---|---|---|---|")
    for writer in WRITERS:
        for name, policy in (("fixed 800 ms", Fixed(800)), ("learned", PauseModel())):
            r = simulate(writer, policy, args.chars, args.seed)
            rows.append({"writer": writer.name, "policy": name, **r})
            wait = (
                "-"
                if r["commit_median_ms"] is None
                else f"{r['commit_median_ms']:.0f} / {r['commit_p90_ms']:.0f} ms"
            )
            print(
                f"| {writer.name} | {name} | {100 * r['partial']:.1f}% "
                f"| {100 * r['partial_first30']:.1f}% | {wait} |"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
