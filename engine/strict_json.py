"""JSON from untrusted input (ink lines, package manifests) with bounded nesting and numbers.

``json.loads`` recurses once per nesting level (RecursionError near 1000 levels) and turns
an integer literal into an int of any size (ValueError past 4300 digits; OverflowError
when it later meets a float array). ``loads`` refuses deep nesting before parsing and reads
long integer literals as floats, so the only error it raises is ValueError (issue 17).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

#: Deepest nesting of lists and objects ``loads`` accepts by default. An ink is 4 deep
#: (object, strokes, stroke, point); a package manifest about 5.
MAX_DEPTH = 32
#: Integer literals with more digits than this are read as float (inf when out of range).
_INT_DIGITS = 18
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = np.frombuffer(b"[{", np.uint8)
_CLOSE = np.frombuffer(b"]}", np.uint8)


def json_depth(data: bytes) -> int:
    """Deepest nesting of [] and {} in JSON bytes, brackets inside strings not counted.

    Linear time and memory (a regex, then a cumulative sum); the text need not be valid.
    """
    a = np.frombuffer(_STRING.sub(b'""', data), np.uint8)
    step = np.isin(a, _OPEN).astype(np.int32) - np.isin(a, _CLOSE).astype(np.int32)
    return int(np.cumsum(step).max()) if len(step) else 0


def _parse_int(s: str) -> int | float:
    return int(s) if len(s) <= _INT_DIGITS else float(s)


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON; long integer literals become floats (so never a huge int).

    Raises:
        ValueError: text that is not JSON (a json.JSONDecodeError, with its position), is
            nested deeper than ``max_depth``, or is bytes that are not UTF-8.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = json_depth(data)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep; at most {max_depth} are allowed")
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError as e:  # not reached below max_depth; kept as a last guard
        raise ValueError("JSON nested too deeply") from e
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text ({e.reason} at byte {e.start})") from e
