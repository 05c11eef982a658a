"""Lines of JSONL input, read one at a time in bounded memory, each as text or as its error.

A line ends at b"\\n" (a b"\\r" before it is dropped); a last line without one counts. Every
line is reported, in order, whatever it holds: a line longer than ``max_bytes`` is reported
as soon as the limit is passed and the rest of it is skipped unread into memory; a line
that is not UTF-8 is reported with the offending byte. A UTF-8 byte-order mark opening the
input is dropped. Files and standard input read the same (issue 17). ``open_ink_file`` opens
a path as input: a file or a stream, never a folder or a device (issue 22).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

#: Longest line read. An ink is at most 4096 points (engine.ink.MAX_POINTS); written as
#: "[1234.567,1234.567,123456.789]," that is 130 KB, and 1 MiB leaves room for spacing.
MAX_LINE_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 16


class LineError(ValueError):
    """Why one line cannot be read (its message starts with "line N: ")."""


def open_ink_file(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading lines: a regular file, or a stream (a FIFO, the pipe that
    ``<(command)`` names, a socket), read as it comes like standard input.

    A FIFO waits for its writer, as ``cat`` does. A folder or a device is refused before it
    is opened: a device may never end (/dev/zero, a terminal) or may act when opened.

    Raises:
        OSError: with ``filename`` set and a strerror that says what the path is instead.
    """
    st = os.stat(path)
    _check_kind(path, st.st_mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        _check_kind(path, os.fstat(fd).st_mode)  # replaced between the stat and the open
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_kind(path: str | Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise OSError(
            errno.EISDIR, "it is a folder; give a JSONL file, or - for standard input", str(path)
        )
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise OSError(
            errno.ENODEV,
            "it is a device, not a file of ink; to read a terminal "
            "or another stream, give - and redirect standard input",
            str(path),
        )
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        raise OSError(errno.EINVAL, "not a file nor a pipe", str(path))


def read_lines(
    source: IO[bytes] | Iterable[str | bytes], max_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, str | LineError]]:
    """Yield (line number from 1, the line's text without its newline, or a LineError).

    ``source`` is a binary stream (an open "rb" file, ``sys.stdin.buffer``), or any iterable
    of lines as str or bytes (each item is one line; a trailing newline is dropped).
    """
    if isinstance(source, (io.BufferedIOBase, io.RawIOBase)):
        raws: Iterable[bytes | str | LineError] = _stream_lines(source, max_bytes)  # type: ignore[arg-type]
    else:
        raws = source
    for num, raw in enumerate(raws, start=1):
        if isinstance(raw, LineError):
            yield num, LineError(f"line {num}: {raw}")
            continue
        if num == 1 and isinstance(raw, (bytes, bytearray)) and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if num == 1 and isinstance(raw, str) and raw.startswith("\ufeff"):
            raw = raw[1:]
        yield num, _text(num, raw, max_bytes)


def _stream_lines(stream: IO[bytes], max_bytes: int) -> Iterator[bytes | LineError]:
    while True:
        raw = stream.readline(max_bytes + 2)  # the line, its b"\r\n", and one byte more
        if not raw:
            return
        if raw.endswith(b"\n") or len(raw) <= max_bytes:
            yield raw
            continue
        yield LineError(
            f"longer than {max_bytes} bytes (an ink is at most a few hundred KB);"
            " the rest of the line is skipped"
        )
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(_SKIP_CHUNK)


def _text(num: int, raw: str | bytes | bytearray, max_bytes: int) -> str | LineError:
    if isinstance(raw, str):
        line = raw.removesuffix("\n")
        if len(line) > max_bytes:
            return LineError(f"line {num}: longer than {max_bytes} characters")
        return line.removesuffix("\r")
    data = bytes(raw).removesuffix(b"\n").removesuffix(b"\r")
    if len(data) > max_bytes:
        return LineError(f"line {num}: longer than {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        return LineError(
            f"line {num}: not UTF-8 text ({e.reason}: byte 0x{data[e.start]:02x} at byte "
            f"{e.start + 1} of the line)"
        )
