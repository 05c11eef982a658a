"""JSON from untrusted input (ink lines, package manifests) with bounded nesting and numbers.

``json.loads`` recurses once per nesting level (RecursionError near 1000 levels) and turns
an integer literal into an int of any size (ValueError past 4300 digits; OverflowError
when it later meets a float array). ``loads`` refuses deep nesting before parsing and reads
long integer literals as floats, so the only error it raises is ValueError (issue 17), in
time linear in the input's length (issue 22).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

#: Deepest nesting of lists and objects ``loads`` accepts by default. An ink is 4 deep
#: (object, strokes, stroke, point); a package manifest about 5.
MAX_DEPTH = 32
#: Integer literals with more digits than this are read as float (an OutOfRange past 1e308).
_INT_DIGITS = 18
#: Bytes scanned at a time by json_depth (bounded memory whatever the input's size).
_CHUNK = 1 << 20
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_STEP = np.zeros(256, np.int8)  # +1 for a byte that opens a level, -1 for one that closes it
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1


class OutOfRange(float):
    """A number literal too large for a float: it reads as +-inf, and remembers its text.

    ``json.loads`` turns ``1e999`` (and, here, a 400-digit integer) into inf, which the
    ink checks would report like the literal ``Infinity``; this type lets them say instead
    that the number is out of range (issue 22).
    """

    literal: str = ""

    def describe(self) -> str:
        """The literal, shortened past 24 characters: ``100000000000...(401 characters)``."""
        s = self.literal
        return s if len(s) <= 24 else f"{s[:12]}...({len(s)} characters)"


def json_depth(data: bytes, chunk: int = _CHUNK) -> int:
    """Deepest nesting of [] and {} in JSON bytes, brackets inside strings not counted.

    Linear time, memory bounded by ``chunk`` (issue 22: the regex this replaces rescanned
    an unterminated string from each of its quotes, an hour for a 1 MiB line). A quote is
    escaped when an odd run of backslashes precedes it; the unescaped quotes open and close
    strings, so a byte is inside a string when an odd number of them precede it. On any
    prefix of valid JSON that is exactly the parser's view (a backslash occurs only inside
    strings), so ``json.loads`` never nests deeper than this returns; the text need not be
    valid. The scan carries three numbers across chunks: the length of the backslash run
    that ends the chunk, whether a string is open, and the depth.
    """
    run, inside, depth, top = 0, 0, 0, 0
    for start in range(0, len(data), chunk):
        a = np.frombuffer(data, np.uint8, min(chunk, len(data) - start), start)
        escaped = np.zeros(len(a), bool)
        escaped[0] = run % 2 == 1
        bs = a == _BACKSLASH
        if bs.any():
            idx = np.arange(len(a))
            # the last non-backslash at or before each byte (-1: the run reaches the start)
            last = np.maximum.accumulate(np.where(bs, -1, idx))
            ends = idx - last + np.where(last < 0, run, 0)  # backslashes ending at each byte
            escaped[1:] = ends[:-1] % 2 == 1
            run = int(ends[-1])
        else:
            run = 0
        quotes = np.cumsum((a == _QUOTE) & ~escaped, dtype=np.int64) + inside
        step = _STEP[a]
        step[quotes % 2 == 1] = 0  # inside a string
        levels = np.cumsum(step, dtype=np.int64) + depth
        top = max(top, int(levels.max()))
        inside, depth = int(quotes[-1]) % 2, int(levels[-1])
    return top


def _parse_int(s: str) -> int | float:
    return int(s) if len(s) <= _INT_DIGITS else _parse_float(s)


def _parse_float(s: str) -> float:
    v = float(s)
    if not math.isinf(v):
        return v
    out = OutOfRange(v)
    out.literal = s
    return out


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON; long integer literals become floats (so never a huge int), and a number
    too large for a float an OutOfRange (inf that keeps its literal).

    Raises:
        ValueError: text that is not JSON (a json.JSONDecodeError, with its position), is
            nested deeper than ``max_depth``, or is bytes that are not UTF-8.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = json_depth(data)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep; at most {max_depth} are allowed")
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float)
    except RecursionError as e:  # not reached below max_depth; kept as a last guard
        raise ValueError("JSON nested too deeply") from e
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text ({e.reason} at byte {e.start})") from e
