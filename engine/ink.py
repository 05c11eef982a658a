"""Ink: strokes of timed pen points, their validation and their JSON / JSONL format.

JSON form of one ink (a set of inks is JSONL, one per line)::

    {"strokes": [[[x, y, t], ...], ...], "label": "中"}

x and y are in any unit with y pointing down; t is in milliseconds and never decreases
within the ink; the pen is up between strokes. ``label`` is optional. A stroke of one point
(a dot) and repeated points are valid ink.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine import strict_json
from engine.errors import InkError
from engine.lines import MAX_LINE_BYTES, LineError, open_ink_file, read_lines

#: Most points one ink may hold. A character written on a 200 Hz digitizer for 10 s is 2,000
#: points; anything far beyond that is not one character and would only make the LSTM slow.
MAX_POINTS = 4096
#: Most strokes one ink may hold.
MAX_STROKES = 256
#: Largest magnitude of a coordinate or time.
_MAX_ABS = 1e9


@dataclass(frozen=True)
class Ink:
    """One handwritten character.

    Attributes:
        strokes: one float64 array of shape (n_i, 3) per stroke, columns x, y, t (ms).
            Arrays are read-only; build a new Ink to change one.
        label: the character written, when known.
        context: the text written just before this character, when known (the recognizer
            ranks its candidates with it; issue 24).
    """

    strokes: tuple[np.ndarray, ...]
    label: str | None = field(default=None)
    context: str | None = field(default=None)

    @property
    def num_points(self) -> int:
        return int(sum(len(s) for s in self.strokes))

    def to_json_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "strokes": [[[_num(v) for v in p] for p in s.tolist()] for s in self.strokes]
        }
        if self.label is not None:
            obj["label"] = self.label
        if self.context is not None:
            obj["context"] = self.context
        return obj

    def to_json(self) -> str:
        return json.dumps(self.to_json_obj(), ensure_ascii=False, separators=(",", ":"))


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(float(v), 3)


def make_ink(strokes: Any, label: str | None = None, context: str | None = None) -> Ink:
    """Validate strokes given as nested sequences (or arrays) of (x, y, t) and build an Ink.

    Raises:
        InkError: naming the stroke and point at fault, for: no strokes, an empty stroke,
            wrong nesting, a non-number, NaN or infinity, a time that decreases, more than
            MAX_POINTS points or MAX_STROKES strokes, a label that is not one string, or a
            context that is not a string.
    """
    if label is not None and not isinstance(label, str):
        raise InkError(f"label must be a string, got {type(label).__name__}")
    if context is not None and not isinstance(context, str):
        raise InkError(
            f"context must be a string (the text before the ink), got {type(context).__name__}"
        )
    is_list = isinstance(strokes, Sequence) and not isinstance(strokes, (str, bytes))
    if not (is_list or (isinstance(strokes, np.ndarray) and strokes.ndim == 3)):
        raise InkError("strokes must be a list of strokes, each a list of [x, y, t] points")
    if len(strokes) == 0:
        raise InkError("ink has no strokes")
    if len(strokes) > MAX_STROKES:
        raise InkError(f"ink has {len(strokes)} strokes; at most {MAX_STROKES} are allowed")
    out: list[np.ndarray] = []
    total = 0
    last_t = -math.inf
    for i, stroke in enumerate(strokes):
        arr = _stroke_array(stroke, i)
        total += len(arr)
        if total > MAX_POINTS:
            raise InkError(
                f"ink has more than {MAX_POINTS} points (limit reached in stroke {i}); "
                "split it into several characters or resample it"
            )
        t = arr[:, 2]
        if t[0] < last_t:
            raise InkError(f"stroke {i} point 0: time {t[0]:g} ms is before the previous point")
        bad = np.nonzero(np.diff(t) < 0)[0]
        if len(bad):
            j = int(bad[0]) + 1
            raise InkError(f"stroke {i} point {j}: time {t[j]:g} ms is before the previous point")
        last_t = float(t[-1])
        arr.flags.writeable = False
        out.append(arr)
    return Ink(strokes=tuple(out), label=label, context=context)


def _stroke_array(stroke: Any, i: int) -> np.ndarray:
    if isinstance(stroke, (str, bytes, dict)) or not hasattr(stroke, "__len__"):
        raise InkError(f"stroke {i}: must be a list of [x, y, t] points")
    if len(stroke) == 0:
        raise InkError(f"stroke {i} is empty")
    if len(stroke) > MAX_POINTS:
        raise InkError(f"stroke {i} has {len(stroke)} points; at most {MAX_POINTS} are allowed")
    for j, p in enumerate(stroke):
        if isinstance(p, (str, bytes, dict)) or not hasattr(p, "__len__") or len(p) != 3:
            raise InkError(f"stroke {i} point {j}: must be [x, y, t], got {_short(p)}")
        for v in p:
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise InkError(f"stroke {i} point {j}: {_short(v)} is not a number")
            if isinstance(v, strict_json.OutOfRange):  # e.g. a 400-digit integer (issue 22)
                raise InkError(
                    f"stroke {i} point {j}: the number {v.describe()} is out of range (|v| > 1e9)"
                )
    try:
        arr = np.asarray(stroke, dtype=np.float64).reshape(-1, 3).copy()
    except (OverflowError, ValueError, TypeError) as e:  # e.g. an int of 400 digits
        raise InkError(f"stroke {i}: a value is out of range or not a number ({e})") from e
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        j = int(np.nonzero(~finite)[0][0])
        raise InkError(f"stroke {i} point {j}: NaN or infinite value {arr[j].tolist()}")
    if np.abs(arr).max() > _MAX_ABS:
        j = int(np.nonzero(np.abs(arr).max(axis=1) > _MAX_ABS)[0][0])
        raise InkError(f"stroke {i} point {j}: value out of range (|v| > 1e9)")
    return arr


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def ink_from_json_obj(obj: Any) -> Ink:
    """Build an Ink from a parsed JSON object ``{"strokes": ..., "label": ..., "context": ...}``."""
    if not isinstance(obj, dict):
        raise InkError(f'an ink must be a JSON object {{"strokes": ...}}, got {type(obj).__name__}')
    if "strokes" not in obj:
        raise InkError('ink object has no "strokes" key')
    return make_ink(obj["strokes"], obj.get("label"), obj.get("context"))


def ink_from_json(text: str | bytes) -> Ink:
    """Parse one ink from its JSON text.

    Raises:
        InkError: only; for JSON syntax (naming the position), nesting deeper than
            engine.strict_json.MAX_DEPTH, text longer than engine.lines.MAX_LINE_BYTES, or
            an object that is not a valid ink (see make_ink).
    """
    if len(text) > MAX_LINE_BYTES:
        raise InkError(f"longer than {MAX_LINE_BYTES} bytes; an ink is at most a few hundred KB")
    try:
        obj = strict_json.loads(text)
    except json.JSONDecodeError as e:
        raise InkError(f"not valid JSON: {e}") from e
    except ValueError as e:  # too deep, not UTF-8
        raise InkError(str(e)) from e
    return ink_from_json_obj(obj)


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Ink | InkError]]:
    """Yield (line number from 1, Ink or the InkError of that line) for each non-blank line.

    A bad line (not JSON, not UTF-8, too long, not an ink) does not stop the iteration: its
    error is yielded in its place. Raises OSError when the file cannot be opened, or is a
    folder or a device (engine.lines.open_ink_file; a FIFO is read as it comes).
    """
    with open_ink_file(path) as f:
        yield from iter_jsonl_lines(f)


def iter_jsonl_lines(lines: Any, blank: bool = False) -> Iterator[tuple[int, Ink | InkError]]:
    """Like iter_jsonl, over a binary stream or an iterable of lines (engine.lines.read_lines).

    ``blank``: also yield an InkError for each blank line, so that every line has an answer.
    """
    for n, text in read_lines(lines):
        if isinstance(text, LineError):
            yield n, InkError(str(text))
        elif not text.strip():
            if blank:
                yield n, InkError(f"line {n}: blank line, no ink")
        else:
            try:
                yield n, ink_from_json(text)
            except InkError as e:
                yield n, InkError(f"line {n}: {e}")


def read_jsonl(path: str | Path) -> list[Ink]:
    """Read every ink of a JSONL file; the first bad line raises an InkError naming it."""
    inks = []
    for _, item in iter_jsonl(path):
        if isinstance(item, InkError):
            raise InkError(f"{path}: {item}")
        inks.append(item)
    return inks


def write_jsonl(path: str | Path, inks: Sequence[Ink]) -> None:
    """Write inks as JSONL (UTF-8, one ink per line)."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(ink.to_json() + "\n" for ink in inks)
