"""The settings file on disk: only a regular file is read, moved, copied or replaced (issue 22).

Whatever else sits at the settings path is left exactly as it is: opening a FIFO blocks,
opening a device node can act on the device, and renaming one (``xiezi --settings /dev/null``
as root) breaks the system. The type is checked with ``os.stat`` before ``open``, and the open
cannot wait (``O_NONBLOCK``) should the file be swapped in between. A symlink is followed, as
for dotfiles kept in a repository: reads and writes reach its target, the link itself stays.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.atomic import atomic_open

#: (test, kind) in the order tried; a kind names an i18n key ``file_kind_<kind>``.
_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISCHR, "char_device"),
    (stat.S_ISBLK, "block_device"),
    (stat.S_ISSOCK, "socket"),
)
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotRegularFile(OSError):
    """Something other than a regular file (a folder, FIFO, device, socket) sits at ``path``;
    it is never read, moved or replaced. ``kind`` is one of ``file_kind``'s answers."""

    def __init__(self, path: Path, mode: int) -> None:
        self.path = path
        self.kind = file_kind(mode)
        super().__init__(f"{path} is {kind_name(self.kind, 'en')}, not a regular file")


def file_kind(mode: int) -> str:
    """ "folder", "fifo", "char_device", "block_device", "socket" or "other" for a non-regular
    ``st_mode``."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "other"


def kind_name(kind: str, lang: str) -> str:
    """A file kind in words ("a named pipe (FIFO)")."""
    from ime.i18n import tr

    return tr(f"file_kind_{kind}", lang)


def through_link(p: Path) -> Path:
    """The file that reads and writes of ``p`` reach: its target when ``p`` is a symlink
    (chains resolved), else ``p`` itself."""
    return Path(os.path.realpath(p)) if os.path.islink(p) else p


def read_regular(p: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """At most ``limit + 1`` bytes of the regular file at ``p`` (following symlinks), and its
    stat.

    Raises FileNotFoundError when nothing is there, NotRegularFile when something other than a
    regular file is (it is not opened), another OSError when it cannot be read (permission
    denied, EIO). Never blocks.
    """
    st = os.stat(p)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(p, st.st_mode)
    fd = os.open(p, _READ_FLAGS)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped between the stat and the open
            raise NotRegularFile(p, opened.st_mode)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), opened
    finally:
        os.close(fd)


def keep_aside(p: Path, read: os.stat_result, data: bytes, move: bool) -> tuple[Path, str | None]:
    """Keep the file at ``p`` (through a symlink) as ``<name>.bak`` beside it: moved there
    (``move``), else ``data``, the bytes read from it, written there atomically.

    ``read`` is the stat of the file read: a file swapped since is not moved. An existing
    ``.bak`` that is not a regular file is not replaced. Returns the ``.bak`` path and None,
    or the path and why it could not be kept (then nothing was changed).
    """
    real = through_link(p)
    bak = real.with_name(real.name + ".bak")
    try:
        try:
            there = os.lstat(bak)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISREG(there.st_mode):
                raise NotRegularFile(bak, there.st_mode)
        if move:
            now = os.lstat(real)
            if (now.st_dev, now.st_ino) != (read.st_dev, read.st_ino):
                raise OSError(f"{real} was replaced while it was read")
            os.replace(real, bak)
        else:
            with atomic_open(bak, "wb") as f:
                f.write(data)
    except OSError as e:
        return bak, str(e)
    return bak, None


def writable_target(p: Path) -> Path:
    """The file a save of ``p`` replaces: ``p``, or its target when ``p`` is a symlink (the
    link stays). Raises NotRegularFile when something other than a regular file is there."""
    real = through_link(p)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(p, st.st_mode)
    return real
