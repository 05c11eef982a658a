"""Stroke templates (Make Me a Hanzi medians, and other shape sources) and character sets."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from engine.resources import resource_path
from trainer.data.errors import DataError, MissingTemplateError

logger = logging.getLogger(__name__)

#: Side of the box the medians are stored in (hanzi-writer's 1024 em box).
EM = 1024.0


def resource_file(*parts: str) -> Path:
    """A bundled file (engine.resources finds it in a checkout or an installed Xiezi)."""
    return Path(resource_path(*parts))


class Templates:
    """The stroke medians of every character of resources/templates/medians.npz.

    Attributes:
        chars: every character that has a template, in code point order.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with np.load(self.path, allow_pickle=False) as z:
                cps = z["codepoints"].astype(np.int64)
                self._stroke_off = z["stroke_offsets"].astype(np.int64)
                self._point_off = z["point_offsets"].astype(np.int64)
                self._points = z["points"].astype(np.float32) / EM
        except (OSError, KeyError, ValueError) as e:
            raise DataError(f"{self.path}: not a readable templates file ({e})") from e
        if len(self._stroke_off) != len(cps) + 1 or len(self._point_off) < 1:
            raise DataError(f"{self.path}: offsets do not match the code points")
        self.chars = "".join(map(chr, cps.tolist()))
        self._index = {c: i for i, c in enumerate(self.chars)}
        self._cache: dict[str, list[np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return char in self._index

    def strokes(self, char: str) -> list[np.ndarray]:
        """The medians of ``char`` in standard stroke order.

        Returns:
            one (k_i, 2) float32 array per stroke, x and y in the unit em box [0, 1]^2 with
            y pointing down. The arrays are read-only and shared; copy before changing them.
        Raises:
            MissingTemplateError (a DataError and KeyError) naming the character.
        """
        cached = self._cache.get(char)
        if cached is not None:
            return cached
        i = self._index.get(char)
        if i is None:
            raise MissingTemplateError(
                f"no stroke template for {char!r} (U+{ord(char):04X})"
                if isinstance(char, str) and len(char) == 1
                else f"no stroke template for {char!r}: expected one character"
            )
        out = []
        for s in range(self._stroke_off[i], self._stroke_off[i + 1]):
            a = self._points[self._point_off[s] : self._point_off[s + 1]]
            a.flags.writeable = False
            out.append(a)
        self._cache[char] = out
        return out


def pack_templates(strokes: dict[str, list[np.ndarray]], version: str) -> dict[str, np.ndarray]:
    """The arrays of a templates file (the layout ``Templates`` reads) from each character's
    strokes, (k, 2) x and y-down in the 1024 box, rounded to whole units inside the box; the
    characters in code point order. Every regenerate script of a shape source writes these."""
    cps = sorted(ord(c) for c in strokes)
    stroke_off, point_off, pts = [0], [0], []
    for cp in cps:
        for s in strokes[chr(cp)]:
            pts.append(np.clip(np.rint(np.asarray(s, dtype=np.float64)), 0, EM))
            point_off.append(point_off[-1] + len(pts[-1]))
        stroke_off.append(len(point_off) - 1)
    return {
        "codepoints": np.asarray(cps, dtype=np.uint32),
        "stroke_offsets": np.asarray(stroke_off, dtype=np.int32),
        "point_offsets": np.asarray(point_off, dtype=np.int32),
        "points": np.concatenate(pts).astype(np.int16).reshape(-1, 2),
        "version": np.asarray(version),
    }


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> Templates:
    logger.debug("loading stroke templates from %s", path)
    return Templates(path)


def load_templates(path: str | Path | None = None) -> Templates:
    """The templates at ``path`` (default: the bundled resource), loaded once and cached."""
    p = Path(path) if path is not None else resource_file("templates", "medians.npz")
    return _load(p.resolve())


#: Independent sources of character shape, each a templates file of the layout above with its
#: own licence and regenerate script: name -> resource path.
SHAPE_SOURCES: dict[str, tuple[str, str]] = {
    "medians": ("templates", "medians.npz"),  # Make Me a Hanzi (Arphic fonts)
    "tomoe": ("tomoe", "tomoe.npz"),  # Tomoe's hand-drawn key points
    "wenkai": ("fonts", "wenkai.npz"),  # medians registered onto the LXGW WenKai font
    # Registered onto two handwriting fonts (resources/fonts/README.md); no preset trains on
    # them: they are the yardstick of shapes never trained on (trainer.yardsticks). New
    # sources go last, which keeps the yardstick seeds of the ones before.
    "mashanzheng": ("fonts", "mashanzheng.npz"),  # Ma Shan Zheng (brush kai)
    "longcang": ("fonts", "longcang.npz"),  # Long Cang (running hand)
}


def load_shapes(name: str) -> Templates:
    """The templates of the shape source ``name`` (a key of SHAPE_SOURCES).

    Raises:
        DataError: naming the known sources, or the missing file and its regenerate script.
    """
    if name not in SHAPE_SOURCES:
        raise DataError(f"unknown shape source {name!r}; known: {', '.join(SHAPE_SOURCES)}")
    path = resource_file(*SHAPE_SOURCES[name])
    if not path.is_file():
        raise DataError(
            f"shape source {name!r} has no file {path}; "
            f"run resources/{SHAPE_SOURCES[name][0]}/regenerate.py"
        )
    return load_templates(path)


def held_out_shape(char: str) -> bool:
    """Whether a character's non-median shapes are held out of training (about 1 in 5).

    Those shapes are the validation set of a shape source never trained on
    (``bench/eval_shapes.py``); the medians of every character are always trained on.
    """
    return ord(char) % 5 == 0


@functools.lru_cache(maxsize=8)
def load_charset(name: str = "gb2312_level1") -> str:
    """The characters of resources/charsets/<name>.txt, in class order.

    Raises:
        DataError: naming the charset when there is no such file, or it repeats a character.
    """
    folder = resource_file("charsets")
    path = folder / f"{name}.txt"
    if not name or "/" in name or "\\" in name or not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.txt"))
        raise DataError(f"unknown charset {name!r}; known: {', '.join(known) or 'none'}")
    chars = "".join(path.read_text(encoding="utf-8").split())
    if len(set(chars)) != len(chars):
        raise DataError(f"charset {name!r} ({path}) repeats a character")
    return chars
