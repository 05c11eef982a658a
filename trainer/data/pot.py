"""Reader and writer of CASIA-OLHWDB .pot files (online handwritten characters).

Layout of one sample (little-endian), repeated to the end of the file:

    uint16  sample size in bytes, this field included
    4 bytes tag: the GB2312/GBK code with its two bytes swapped, then two zero bytes
            (label = bytes([tag[1], tag[0]]).decode("gbk"); tag[1] == 0 is one ASCII byte)
    uint16  stroke count
    int16   x, y pairs; (-1, 0) ends a stroke, (-1, -1) ends the character

The 8 header bytes plus 4 bytes per point and per end marker make up the sample size.
There are no timestamps; the point index serves as time. A truncated or corrupt file raises a
DataError naming the file and the byte offset of the sample at fault.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.ink import Ink, make_ink
from trainer.data.errors import DataError

_HEADER = struct.Struct("<H4sH")


@dataclass(frozen=True)
class PotSample:
    """One character of a POT file.

    Attributes:
        label: the character.
        strokes: one (k_i, 2) int16 array of x, y (y down, digitizer units) per stroke.
        path: the file it came from. offset: byte offset of its header in that file.
    """

    label: str
    strokes: tuple[np.ndarray, ...]
    path: str = ""
    offset: int = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """xy (N, 2) float64 and sid (N,) int32, the input of engine.preprocess."""
        xy = np.concatenate(self.strokes).astype(np.float64)
        sid = np.repeat(
            np.arange(len(self.strokes), dtype=np.int32), [len(s) for s in self.strokes]
        )
        return xy, sid

    def to_ink(self) -> Ink:
        """The sample as an engine Ink, t = point index (ms) since POT has no timestamps."""
        out, n = [], 0
        for s in self.strokes:
            t = np.arange(n, n + len(s), dtype=np.float64)[:, None]
            out.append(np.hstack([s.astype(np.float64), t]))
            n += len(s)
        return make_ink(out, self.label)


def pot_files(path: str | Path) -> list[Path]:
    """The file itself, or every *.pot under a folder (recursively, sorted)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() == ".pot")
        if not files:
            raise DataError(f"{p}: folder holds no .pot file")
        return files
    if not p.is_file():
        raise DataError(f"{p}: no such POT file or folder")
    return [p]


def _label(tag: bytes, path: Path, offset: int) -> str:
    code = bytes([tag[0]]) if tag[1] == 0 else bytes([tag[1], tag[0]])
    try:
        return code.decode("gbk")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: byte {offset}: tag {tag.hex()} is not a GBK code") from e


def _header(buf: Any, offset: int, path: Path) -> tuple[int, str]:
    """Size and label of the sample at offset; checks the size against the file."""
    if offset + _HEADER.size > len(buf):
        raise DataError(f"{path}: byte {offset}: truncated sample header")
    size, tag, n_strokes = _HEADER.unpack_from(buf, offset)
    min_size = _HEADER.size + 4 * (2 * n_strokes + 1)  # each stroke: a point and an end marker
    if size < min_size or (size - _HEADER.size) % 4:
        raise DataError(f"{path}: byte {offset}: bad sample size {size} for {n_strokes} strokes")
    if offset + size > len(buf):
        raise DataError(
            f"{path}: byte {offset}: truncated sample ({size} bytes, {len(buf) - offset} left)"
        )
    return size, _label(tag, path, offset)


def _parse(buf: Any, offset: int, path: Path) -> PotSample:
    size, label = _header(buf, offset, path)
    n_strokes = _HEADER.unpack_from(buf, offset)[2]
    pts = np.frombuffer(
        buf, dtype="<i2", count=(size - _HEADER.size) // 2, offset=offset + _HEADER.size
    ).reshape(-1, 2)
    if n_strokes == 0 or tuple(pts[-1]) != (-1, -1):
        raise DataError(f"{path}: byte {offset}: sample does not end with (-1, -1)")
    ends = np.nonzero((pts[:-1, 0] == -1) & (pts[:-1, 1] == 0))[0]
    if len(ends) != n_strokes or ends[-1] != len(pts) - 2:
        raise DataError(
            f"{path}: byte {offset}: header says {n_strokes} strokes, found {len(ends)} ends"
        )
    starts = np.concatenate([[0], ends[:-1] + 1])
    if np.any(ends == starts):
        raise DataError(f"{path}: byte {offset}: empty stroke")
    strokes = tuple(pts[a:b].astype(np.int16) for a, b in zip(starts, ends, strict=True))
    return PotSample(label, strokes, str(path), offset)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e}") from e


def iter_pot(path: str | Path) -> Iterator[PotSample]:
    """Every sample of a POT file, or of every POT file under a folder, in order."""
    for f in pot_files(path):
        buf = _read(f)
        offset = 0
        while offset < len(buf):
            sample = _parse(buf, offset, f)
            yield sample
            offset += _HEADER.unpack_from(buf, offset)[0]


def scan_pot(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets (int64) and label code points (uint32) of the samples of one file.

    Walks the headers only (sizes and labels are checked, so a truncated file fails here);
    a sample whose points are corrupt fails when it is read.
    """
    buf = _read(path)
    offsets: list[int] = []
    codes: list[int] = []
    offset = 0
    while offset < len(buf):
        size, label = _header(buf, offset, path)
        offsets.append(offset)
        codes.append(ord(label))
        offset += size
    return np.asarray(offsets, dtype=np.int64), np.asarray(codes, dtype=np.uint32)


class PotIndex:
    """Random access to the samples of many POT files (memory-mapped, opened lazily).

    Attributes:
        files: the POT files, in order.
        file_of: (n,) int32 file index of each sample. offsets: (n,) int64 byte offsets.
        codes: (n,) uint32 code point of each sample's label.
    """

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.files = [f for p in paths for f in pot_files(p)]
        scans = [scan_pot(f) for f in self.files]
        self.file_of = np.concatenate(
            [np.full(len(o), i, dtype=np.int32) for i, (o, _) in enumerate(scans)]
        )
        self.offsets = np.concatenate([o for o, _ in scans])
        self.codes = np.concatenate([c for _, c in scans])
        self._maps: dict[int, mmap.mmap] = {}

    def __len__(self) -> int:
        return len(self.offsets)

    def __getstate__(self) -> dict[str, Any]:  # memory maps stay in their process
        return {**self.__dict__, "_maps": {}}

    def sample(self, k: int) -> PotSample:
        file_i = int(self.file_of[k])
        m = self._maps.get(file_i)
        if m is None:
            with open(self.files[file_i], "rb") as f:
                m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps[file_i] = m
        return _parse(m, int(self.offsets[k]), self.files[file_i])

    def arrays(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """xy (N, 2) float64 and sid (N,) int32 of sample k."""
        return self.sample(k).arrays()


def encode_sample(label: str, strokes: Sequence[np.ndarray]) -> bytes:
    """The bytes of one POT sample; strokes are (k_i, 2) integer x, y in int16 range."""
    code = label.encode("gbk")
    if len(code) == 1:
        tag = bytes([code[0], 0, 0, 0])
    elif len(code) == 2:
        tag = bytes([code[1], code[0], 0, 0])
    else:
        raise ValueError(f"label {label!r} is not one GBK character")
    if not strokes:
        raise ValueError(f"sample {label!r} has no strokes")
    body = []
    for s in strokes:
        a = np.asarray(s)
        if a.ndim != 2 or a.shape[1] != 2 or len(a) == 0:
            raise ValueError(f"sample {label!r}: each stroke must be a non-empty (k, 2) array")
        body.append(a.astype("<i2").tobytes() + struct.pack("<hh", -1, 0))
    body.append(struct.pack("<hh", -1, -1))
    payload = b"".join(body)
    size = _HEADER.size + len(payload)
    if size > 0xFFFF:
        raise ValueError(f"sample {label!r} is {size} bytes; a POT sample holds at most 65535")
    return _HEADER.pack(size, tag, len(strokes)) + payload


def write_pot(path: str | Path, samples: Iterable[tuple[str, Sequence[np.ndarray]]]) -> None:
    """Write (label, strokes) samples as a POT file (used by tests and converters)."""
    with open(path, "wb") as f:
        f.writelines(encode_sample(label, strokes) for label, strokes in samples)
