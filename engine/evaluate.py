"""Library side of the CLI: candidates for a stream of JSONL ink, and accuracy / latency."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import IO, Any

import numpy as np

from engine.errors import EngineError, InkError
from engine.ink import iter_jsonl_lines
from engine.memory import UserMemory
from engine.recognizer import Recognizer


def recognize_lines(
    recognizer: Recognizer,
    lines: IO[bytes] | Iterable[str | bytes],
    n: int = 10,
    memory: UserMemory | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per line of JSONL (engine.lines.read_lines), blank lines included, in order.

    A line's ``"context"`` (the text before the ink) ranks its candidates with the language
    model; a ``memory`` (engine.memory, read only) lifts the user's characters. Yields
    ``{"candidates": [[char, prob], ...]}`` (prob rounded to 4 decimals) or, for a line
    that is blank, not UTF-8, too long, not a valid ink or cannot be recognized,
    ``{"error": "line N: ..."}``.
    """
    for num, item in iter_jsonl_lines(lines, blank=True):
        if isinstance(item, InkError):
            yield {"error": str(item)}
            continue
        try:
            cands = recognizer.recognize(item, n, memory=memory)
        except EngineError as e:
            yield {"error": f"line {num}: {e}"}
            continue
        yield {"candidates": [[c.char, round(c.prob, 4)] for c in cands]}


@dataclass(frozen=True)
class EvalResult:
    """Accuracy and per-character latency over labelled ink.

    Attributes:
        inks: valid inks read. labelled: those with a label (the accuracy's denominator).
        errors: the messages of bad lines (each "line N: ...").
        top1, top10: fraction of labelled inks whose label is first / among the first 10,
            each ink ranked with its ``context`` where it has one (the product's ranking).
        with_context: labelled inks that carry a context.
        top1_no_context, top10_no_context: the same inks ranked by the network alone.
        latency_median_ms, latency_p95_ms: recognize() per ink, end to end (preprocessing
            and context ranking included), one at a time after one warm-up run.
    """

    inks: int
    labelled: int
    errors: list[str]
    top1: float
    top10: float
    latency_median_ms: float
    latency_p95_ms: float
    with_context: int = 0
    top1_no_context: float = 0.0
    top10_no_context: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_lines(recognizer: Recognizer, lines: IO[bytes] | Iterable[str | bytes]) -> EvalResult:
    """Recognize every ink of a JSONL stream and score the labelled ones (blank lines skipped),
    with their contexts and without."""
    recognizer.load()
    errors: list[str] = []
    times: list[float] = []
    inks = labelled = hit1 = hit10 = with_context = bare1 = bare10 = 0
    warm = False
    for num, item in iter_jsonl_lines(lines):
        if isinstance(item, InkError):
            errors.append(str(item))
            continue
        if not warm:  # the first run allocates; keep it out of the figures
            with contextlib.suppress(EngineError):
                recognizer.recognize(item, 10)
            warm = True
        t0 = time.perf_counter()
        try:
            cands = recognizer.recognize(item, 10)
        except EngineError as e:
            errors.append(f"line {num}: {e}")
            continue
        times.append(time.perf_counter() - t0)
        inks += 1
        if item.label is None:
            continue
        labelled += 1
        chars = [c.char for c in cands]
        hit1 += bool(chars) and chars[0] == item.label
        hit10 += item.label in chars
        if item.context is not None:
            with_context += 1
            chars = [c.char for c in recognizer.recognize(replace(item, context=None), 10)]
        bare1 += bool(chars) and chars[0] == item.label
        bare10 += item.label in chars
    ms = np.array(times) * 1000.0
    return EvalResult(
        inks=inks,
        labelled=labelled,
        errors=errors,
        top1=hit1 / labelled if labelled else 0.0,
        top10=hit10 / labelled if labelled else 0.0,
        latency_median_ms=float(np.median(ms)) if len(ms) else 0.0,
        latency_p95_ms=float(np.percentile(ms, 95)) if len(ms) else 0.0,
        with_context=with_context,
        top1_no_context=bare1 / labelled if labelled else 0.0,
        top10_no_context=bare10 / labelled if labelled else 0.0,
    )


@dataclass(frozen=True)
class LearnResult:
    """Accuracy of one simulated user who corrects every miss (``eval --learn``, issue 28).

    Attributes:
        inks: valid inks read. labelled: those with a label, in file order.
        errors: the messages of bad lines.
        top1, top10: over all labelled inks, each read with the memory as it stood then.
        second_top1, second_top10: over the second half of them (labelled // 2 onwards).
        corrections: inks whose label was not first (the user picked it: learned).
        stored: inks in the memory at the end; characters: distinct characters among them.
    """

    inks: int
    labelled: int
    errors: list[str]
    top1: float
    top10: float
    second_top1: float
    second_top10: float
    corrections: int
    stored: int
    characters: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_learning(
    recognizer: Recognizer,
    lines: IO[bytes] | Iterable[str | bytes],
    memory: UserMemory | None,
    learn: bool = True,
) -> LearnResult:
    """Read labelled inks in order as one user writing them (each with its ``context``).

    With a ``memory`` the user picks the label after every ink: ``memory.learn(label,
    embedding, ink, rank)`` with rank the label's place among the 10 candidates shown (10
    when it is not among them: the user found it elsewhere), and ``memory.learn_text`` of the
    label after its context (the user's words). The memory keeps what its design keeps (a
    rank-0 pick only where it was contested: engine.memory). Without one, nothing is learned:
    the same figures for the network (and context) alone. ``learn`` False: the memory is
    used as it is and nothing is learned (a second user reading with the first one's).
    """
    recognizer.load()
    errors: list[str] = []
    ranks: list[int] = []
    inks = 0
    for num, item in iter_jsonl_lines(lines):
        if isinstance(item, InkError):
            errors.append(str(item))
            continue
        try:
            reading = recognizer.read(item, 10, memory=memory)
        except EngineError as e:
            errors.append(f"line {num}: {e}")
            continue
        inks += 1
        if item.label is None:
            continue
        chars = [c.char for c in reading.candidates]
        rank = chars.index(item.label) if item.label in chars else len(chars)
        ranks.append(rank)
        if memory is not None and learn:
            if reading.embedding is not None and len(item.label) == 1:
                memory.learn(item.label, reading.embedding, item, rank)
            memory.learn_text(item.label, item.context if item.context is not None else "")
    r = np.array(ranks, dtype=np.int64)
    half = r[len(r) // 2 :]
    return LearnResult(
        inks=inks,
        labelled=len(r),
        errors=errors,
        top1=float((r == 0).mean()) if len(r) else 0.0,
        top10=float((r < 10).mean()) if len(r) else 0.0,
        second_top1=float((half == 0).mean()) if len(half) else 0.0,
        second_top10=float((half < 10).mean()) if len(half) else 0.0,
        corrections=int((r > 0).sum()) if memory is not None and learn else 0,
        stored=len(memory) if memory is not None else 0,
        characters=memory.characters() if memory is not None else 0,
    )
