"""The user memory's file: an .npz of plain arrays and a JSON header, read strictly (issue 28).

Members (numpy ``.npy``, never pickled; read with engine.archive's bounded readers):

- ``header``: uint8, UTF-8 JSON ``{"format": "xiezi-memory", "version": 1, "model_sha256",
  "dim", "clock", "chars": [one character per stored ink], "words": {"chars": {c: n},
  "pairs": {"ab": n}}}``;
- ``embeddings`` float16 (N, dim), L2-normalized; ``time`` int64 (N,), the pick count when
  each was stored or last confirmed; ``weight`` float32 (N,) in [0, 1];
- the inks, for re-embedding under another model: ``ink_strokes`` int32 (N,) strokes of each
  (0: none kept), ``ink_points`` int32 (S,) points of each stroke, ``ink_xyt`` float32 (P, 3).
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine import strict_json
from engine.archive import load_npy, read_file, read_members
from engine.atomic import atomic_open
from engine.errors import EngineError
from engine.ink import MAX_POINTS, MAX_STROKES, Ink, make_ink

FORMAT, VERSION = "xiezi-memory", 1
#: Largest memory file read: 20,000 inks of 1,024 dimensions with their ink fit well below.
MAX_FILE_BYTES = 48 << 20
#: Most stored inks and the widest embedding a file may declare.
MAX_INKS, MAX_DIM = 20_000, 4096
MEMBERS = ("header", "embeddings", "time", "weight", "ink_strokes", "ink_points", "ink_xyt")


class MemoryError(EngineError):  # the name of the issue 28 contract (shadows the builtin)
    """A user memory that cannot be used: a file damaged, foreign or too large, a memory made
    for another model, an embedding of the wrong width (the message says which)."""


class MemoryFileError(MemoryError):
    """A memory file that cannot be read: damaged, foreign or too large (the reason named)."""


@dataclass
class MemoryState:
    """What a memory file holds (engine.memory.UserMemory's state)."""

    model_sha256: str
    clock: int
    chars: list[str]
    embeddings: np.ndarray  # (N, D) float32
    time: np.ndarray  # (N,) int64
    weight: np.ndarray  # (N,) float32
    inks: list[Ink | None]
    words: dict[str, Any]


def write_state(path: Path, s: MemoryState) -> None:
    """Write ``s`` to ``path`` atomically, readable by its owner only (0600)."""
    strokes, points, xyt = _pack_inks(s.inks)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "model_sha256": s.model_sha256,
        "dim": int(s.embeddings.shape[1]) if s.embeddings.ndim == 2 else 0,
        "clock": int(s.clock),
        "chars": s.chars,
        "words": s.words,
    }
    raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    arrays: dict[str, np.ndarray] = {
        "header": np.frombuffer(raw, np.uint8),
        "embeddings": s.embeddings.astype(np.float16),
        "time": s.time.astype(np.int64),
        "weight": s.weight.astype(np.float32),
        "ink_strokes": strokes,
        "ink_points": points,
        "ink_xyt": xyt,
    }
    with atomic_open(path, "wb", permissions=0o600) as f, zipfile.ZipFile(f, "w") as z:
        for name, a in arrays.items():  # what np.savez writes, with pickles refused
            with z.open(f"{name}.npy", "w") as m:
                np.lib.format.write_array(m, np.ascontiguousarray(a), allow_pickle=False)


def read_state(path: Path) -> MemoryState:
    """The state in the memory file at ``path``. Raises FileNotFoundError for no file, and
    MemoryFileError naming what is wrong for anything that is not a memory file of this
    engine (never another exception)."""

    def fail(reason: str) -> MemoryFileError:
        return MemoryFileError(f"{path} is not a readable memory file: {reason}")

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise fail(f"cannot read it ({e.strerror or e})") from e
    if not stat.S_ISREG(st.st_mode):
        raise fail("not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        raise fail(f"{st.st_size} bytes, more than the {MAX_FILE_BYTES >> 20} MiB of a memory")
    members = read_members(read_file(path, fail), fail)
    names = {m.removesuffix(".npy"): m for m in members}
    if set(names) != set(MEMBERS) or len(names) != len(members):
        raise fail(f"members {sorted(members)[:10]}, expected {list(MEMBERS)}")
    arrays = {}
    for name, member in names.items():
        try:
            arrays[name] = load_npy(members[member], MAX_FILE_BYTES * 4)
        except ValueError as e:
            raise fail(f"member {name}: {e}") from e
    try:
        return _check(arrays)
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise fail(str(e)) from e


def _check(a: dict[str, np.ndarray]) -> MemoryState:
    raw = a["header"]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError("header is not UTF-8 bytes")
    header = strict_json.loads(raw.tobytes())
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("no xiezi-memory header (another file?)")
    if header.get("version") != VERSION:
        raise ValueError(f"format version {header.get('version')!r}; this engine reads {VERSION}")
    sha, dim, clock = header.get("model_sha256"), header.get("dim"), header.get("clock")
    chars = header.get("chars")
    if not isinstance(sha, str) or not 0 < len(sha) <= 128:
        raise ValueError("model_sha256 missing")
    if not isinstance(dim, int) or isinstance(dim, bool) or not 0 <= dim <= MAX_DIM:
        raise ValueError("dim out of range")
    if not isinstance(clock, int) or isinstance(clock, bool) or clock < 0:
        raise ValueError("clock out of range")
    if not isinstance(chars, list) or len(chars) > MAX_INKS:
        raise ValueError(f"chars must be a list of at most {MAX_INKS}")
    if not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise ValueError("chars must each be one character")
    n = len(chars)
    emb, time, weight = a["embeddings"], a["time"], a["weight"]
    if emb.dtype != np.float16 or emb.shape != (n, dim):
        raise ValueError(f"embeddings {emb.dtype} {emb.shape}, expected float16 ({n}, {dim})")
    if time.dtype != np.int64 or time.shape != (n,) or weight.dtype != np.float32:
        raise ValueError("time or weight of the wrong type")
    if weight.shape != (n,) or not np.isfinite(emb).all():
        raise ValueError("weights or embeddings damaged")
    if n and (time.min() < 0 or time.max() > clock or weight.min() < 0 or weight.max() > 1):
        raise ValueError("times or weights out of range")
    inks = _unpack_inks(a["ink_strokes"], a["ink_points"], a["ink_xyt"], n)
    words = header.get("words")
    return MemoryState(
        sha, int(clock), chars, emb.astype(np.float32), time, weight, inks, words or {}
    )


def _pack_inks(inks: list[Ink | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    strokes = np.array([0 if i is None else len(i.strokes) for i in inks], np.int32)
    points = [len(s) for i in inks if i is not None for s in i.strokes]
    parts = [s for i in inks if i is not None for s in i.strokes]
    xyt = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 3), np.float32)
    return strokes, np.array(points, np.int32), xyt


def _unpack_inks(
    strokes: np.ndarray, points: np.ndarray, xyt: np.ndarray, n: int
) -> list[Ink | None]:
    if strokes.dtype != np.int32 or strokes.shape != (n,) or points.dtype != np.int32:
        raise ValueError("ink_strokes or ink_points of the wrong type")
    if points.ndim != 1 or xyt.dtype != np.float32 or xyt.ndim != 2 or xyt.shape[1] != 3:
        raise ValueError("ink_points or ink_xyt of the wrong shape")
    if n and (strokes.min() < 0 or strokes.max() > MAX_STROKES):
        raise ValueError("a stored ink has too many strokes")
    if int(strokes.sum()) != len(points) or (len(points) and points.min() < 1):
        raise ValueError("ink_points does not match ink_strokes")
    if int(points.sum()) != len(xyt):
        raise ValueError("ink_xyt does not match ink_points")
    out: list[Ink | None] = []
    s = p = 0
    for k in strokes.tolist():
        if k == 0:
            out.append(None)
            continue
        counts = points[s : s + k].tolist()
        if sum(counts) > MAX_POINTS:
            raise ValueError("a stored ink has too many points")
        parts = []
        for c in counts:
            parts.append(xyt[p : p + c].astype(np.float64))
            p += c
        s += k
        try:
            out.append(make_ink(parts))
        except EngineError as e:
            raise ValueError(f"a stored ink is invalid ({e})") from e
    return out


def move_aside(path: Path, suffix: str) -> Path | None:
    """Rename ``path`` to ``path`` + ``suffix`` (replacing an older one); None if it failed."""
    aside = path.with_name(path.name + suffix)
    try:
        os.replace(path, aside)
    except OSError:
        return None
    return aside
