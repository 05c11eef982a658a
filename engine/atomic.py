"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_CREATE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


@contextmanager
def atomic_open(
    path: str | Path,
    mode: str = "wb",
    encoding: str | None = None,
    *,
    permissions: int | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; when the block ends without an error, flush,
    fsync and ``os.replace`` it onto ``path`` (then fsync the folder so the rename is durable).

    On an error (or a kill mid-write) ``path`` keeps its old content and the temporary file is
    removed. Creates the parent folder. ``mode`` is "wb" or "w".

    The file's permission bits (issue 22: reports and packages were left 0600, unreadable to
    the group a user shares them with): ``permissions`` when given (e.g. 0o600 for a private
    file); else those of the file replaced, as an editor keeps them; else, for a new file,
    what the umask leaves of 0o666, as ``open()`` would give.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    if permissions is not None and not 0 <= permissions <= 0o777:
        raise ValueError(f"permissions must be in 0o000..0o777, got {permissions:#o}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    keep = permissions if permissions is not None else _mode_of(path)
    # a new file: the kernel applies the umask (and a folder's default ACL) to 0o666
    fd, tmp = _create_beside(path, 0o666 if keep is None else 0o600)
    try:
        with os.fdopen(fd, mode, encoding=encoding if mode == "w" else None) as f:
            if keep is not None:  # before a byte is written
                _chmod(f.fileno(), tmp, keep)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def atomic_write_text(path: str | Path, text: str, *, permissions: int | None = None) -> None:
    """Write UTF-8 text to ``path`` atomically (see atomic_open for ``permissions``)."""
    with atomic_open(path, "w", encoding="utf-8", permissions=permissions) as f:
        f.write(text)


def _mode_of(path: Path) -> int | None:
    """The permission bits of the regular file at ``path``; None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode) & 0o777 if stat.S_ISREG(st.st_mode) else None


def _create_beside(path: Path, perms: int) -> tuple[int, str]:
    """A new, empty temporary file in ``path``'s folder, created with ``perms``."""
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _CREATE, perms), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _chmod(fd: int, tmp: str, perms: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, perms)
    else:  # Windows: only the read-only flag exists
        os.chmod(tmp, perms)
