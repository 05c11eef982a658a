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
from engine.recognizer import Recognizer


def recognize_lines(
    recognizer: Recognizer, lines: IO[bytes] | Iterable[str | bytes], n: int = 10
) -> Iterator[dict[str, Any]]:
    """One result per line of JSONL (engine.lines.read_lines), blank lines included, in order.

    A line's ``"context"`` (the text before the ink) ranks its candidates with the language
    model. Yields ``{"candidates": [[char, prob], ...]}`` (prob rounded to 4 decimals) or,
    for a line that is blank, not UTF-8, too long, not a valid ink or cannot be recognized,
    ``{"error": "line N: ..."}``.
    """
    for num, item in iter_jsonl_lines(lines, blank=True):
        if isinstance(item, InkError):
            yield {"error": str(item)}
            continue
        try:
            cands = recognizer.recognize(item, n)
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
