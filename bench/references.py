"""Other open-source recognizers, read on the same ink as Xiezi: dinkit and zinnia (tegaki's model).

Issue 6 gives their accuracy on real, fast, joined-up handwriting by many writers (dinkit
70.8% top-1 / 90.5% top-10, zinnia with the tegaki model 3.5% top-1). Reading our synthetic
writers with the same two engines tells how hard the synthesizer's writing is compared with
that real writing, for two very different kinds of recognizer (docs/synthesizer.md,
"Calibration against other recognizers"). Neither is a dependency of Xiezi:

- dinkit (MIT, C with a ctypes binding): ``pip install dinkit``
- zinnia with tegaki's simplified-Chinese model (Debian):
  ``apt-get install libzinnia0 tegaki-zinnia-simplified-chinese``
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.ink import Ink
from engine.protocol import Candidate, InkRecognizer

#: Strokes of (x, y, t) points: JSON lists [[[x, y, t], ...], ...] or an Ink's (n, 3) arrays.
Strokes = Sequence[Any]
#: Where Debian's tegaki-zinnia-simplified-chinese puts its model.
ZINNIA_MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")


class ReferenceUnavailable(RuntimeError):
    """A reference recognizer is not installed here; the message says how to install it."""


class _Ranker:
    """engine.protocol.InkRecognizer over ``_rank(strokes, n) -> characters, best first``.

    The references rank without a probability: each Candidate's prob is NaN, and without a
    language model: a context is ignored.
    """

    name: str

    def _rank(self, strokes: Strokes, n: int) -> list[str]:
        raise NotImplementedError

    def recognize(self, ink: Ink, n: int = 10, context: str | None = None) -> list[Candidate]:
        return [Candidate(c, float("nan")) for c in self._rank(ink.strokes, n)]

    def recognize_batch(
        self, inks: Sequence[Ink], n: int = 10, contexts: Sequence[str | None] | None = None
    ) -> list[list[Candidate]]:
        return [self.recognize(ink, n) for ink in inks]


def to_box(strokes: Strokes, size: int = 1000, margin: int = 50) -> list[list[tuple[int, int]]]:
    """Integer (x, y) strokes fitted into a size x size box, aspect kept, centred.

    Both references take small non-negative integers (dinkit uint16, zinnia a pixel grid);
    timestamps are dropped. The ink's longer side spans size - 2 margin.
    """
    if not strokes or not any(len(s) for s in strokes):
        raise ValueError("an ink needs at least one point")
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = (size - 2 * margin) / span
    x0 = min(xs) - ((size - 2 * margin) / scale - (max(xs) - min(xs))) / 2
    y0 = min(ys) - ((size - 2 * margin) / scale - (max(ys) - min(ys))) / 2
    return [
        [(round(margin + (p[0] - x0) * scale), round(margin + (p[1] - y0) * scale)) for p in s]
        for s in strokes
        if len(s)
    ]


class Dinkit(_Ranker):
    """dinkit's recognizer (its 'confidence' is a distance: lower is better, as it orders)."""

    name = "dinkit"

    def __init__(self) -> None:
        try:
            from dinkit import Recognizer  # type: ignore[import-not-found]
        except ImportError as e:
            raise ReferenceUnavailable("dinkit is not installed: pip install dinkit") from e
        self._rec = Recognizer()

    def _rank(self, strokes: Strokes, n: int) -> list[str]:
        box = [[list(p) for p in s] for s in to_box(strokes, size=1000)]
        return list(self._rec.recognize(box, top_k=n).keys())[:n]


class Zinnia(_Ranker):
    """zinnia's SVM recognizer through its C API, with tegaki's simplified-Chinese model."""

    name = "zinnia"

    def __init__(self, model: Path = ZINNIA_MODEL) -> None:
        lib = ctypes.util.find_library("zinnia") or "libzinnia.so.0"
        try:
            z = ctypes.CDLL(lib)
        except OSError as e:
            raise ReferenceUnavailable(
                "libzinnia is not installed: apt-get install libzinnia0 "
                "tegaki-zinnia-simplified-chinese"
            ) from e
        if not model.is_file():
            raise ReferenceUnavailable(
                f"no zinnia model at {model}: apt-get install tegaki-zinnia-simplified-chinese"
            )
        vp, size = ctypes.c_void_p, ctypes.c_size_t
        z.zinnia_recognizer_new.restype = vp
        z.zinnia_recognizer_open.argtypes = [vp, ctypes.c_char_p]
        z.zinnia_character_new.restype = vp
        z.zinnia_character_clear.argtypes = [vp]
        z.zinnia_character_set_width.argtypes = [vp, size]
        z.zinnia_character_set_height.argtypes = [vp, size]
        z.zinnia_character_add.argtypes = [vp, size, ctypes.c_int, ctypes.c_int]
        z.zinnia_recognizer_classify.argtypes = [vp, vp, size]
        z.zinnia_recognizer_classify.restype = vp
        z.zinnia_result_size.argtypes = [vp]
        z.zinnia_result_size.restype = size
        z.zinnia_result_value.argtypes = [vp, size]
        z.zinnia_result_value.restype = ctypes.c_char_p
        z.zinnia_result_destroy.argtypes = [vp]
        self._z = z
        self._rec = z.zinnia_recognizer_new()
        if not z.zinnia_recognizer_open(self._rec, str(model).encode()):
            raise ReferenceUnavailable(f"zinnia could not open its model {model}")
        self._char = z.zinnia_character_new()

    def _rank(self, strokes: Strokes, n: int) -> list[str]:
        z, c = self._z, self._char
        z.zinnia_character_clear(c)
        z.zinnia_character_set_width(c, 1000)
        z.zinnia_character_set_height(c, 1000)
        for i, stroke in enumerate(to_box(strokes, size=1000)):
            for x, y in stroke:
                z.zinnia_character_add(c, i, x, y)
        result = z.zinnia_recognizer_classify(self._rec, c, n)
        if not result:
            return []
        try:
            return [
                z.zinnia_result_value(result, k).decode("utf-8")
                for k in range(z.zinnia_result_size(result))
            ]
        finally:
            z.zinnia_result_destroy(result)


#: Issue 6: each reference on real, fast, joined-up handwriting by many writers (top-1, top-10
#: in %; None: not given).
REAL_FIGURES: dict[str, tuple[float, float | None]] = {
    "dinkit": (70.8, 90.5),
    "zinnia": (3.5, None),
}
KINDS = {"dinkit": Dinkit, "zinnia": Zinnia}


def load(names: Sequence[str]) -> tuple[dict[str, InkRecognizer], list[str]]:
    """The named references that are installed (by name), and one line for each that is not."""
    refs: dict[str, InkRecognizer] = {}
    missing: list[str] = []
    for name in names:
        if name not in KINDS:
            raise ValueError(f"unknown reference {name!r}; known: {', '.join(KINDS)}")
        try:
            refs[name] = KINDS[name]()
        except ReferenceUnavailable as e:
            missing.append(f"{name}: {e}")
    return refs, missing
