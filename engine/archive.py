"""A model package file and its zip members, read in bounded memory (issue 17 item 3).

Every size is checked before the memory it implies is taken: the file's (a regular file,
so not /dev/zero nor a FIFO, opened without blocking), the members' declared sizes, each
.npy member's header against the bytes it holds. zipfile itself stops decompressing a
member at its declared size, so a member that lies about it costs at most one read chunk.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import math
import os
import stat
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

#: Largest package file read (the full GB2312 model is 0.45 MB, its fp32 form 14 MB).
MAX_FILE_BYTES = 64 << 20
#: Largest total of the members' unpacked sizes.
MAX_UNPACKED_BYTES = 128 << 20
#: Most members a package may hold (a model has a few dozen).
MAX_MEMBERS = 4096
#: What zipfile raises for damaged archives: a flipped byte can make a member look encrypted
#: (RuntimeError) or of an unknown compression method (NotImplementedError).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    lzma.LZMAError,
    zlib.error,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)

Fail = Callable[[str], Exception]


def read_file(path: Path, fail: Fail) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as e:
        raise fail("no such file") from e
    except OSError as e:
        raise fail(f"cannot read it ({e.strerror or e})") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail("cannot read it: not a regular file (a folder, device or pipe)")
        if st.st_size > MAX_FILE_BYTES:
            raise fail(
                f"{st.st_size} bytes is too large for a model package "
                f"(at most {MAX_FILE_BYTES >> 20} MiB)"
            )
        with os.fdopen(fd, "rb") as f:
            fd = -1  # closed with f
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise fail(f"cannot read it ({e.strerror or e})") from e
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise fail(f"it grew past {MAX_FILE_BYTES >> 20} MiB while being read")
    return data


def read_members(data: bytes, fail: Fail) -> dict[str, bytes]:
    """Every member of the zip in ``data``, after checking their number and declared sizes."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as e:
        raise fail(f"not a zip archive, or truncated ({e})") from e
    with z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise fail(f"{len(infos)} members; a model package has at most {MAX_MEMBERS}")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise fail("a member name appears twice (tampered?)")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNPACKED_BYTES:
            raise fail(
                f"its members unpack to {total} bytes, more than "
                f"{MAX_UNPACKED_BYTES >> 20} MiB (not a model package)"
            )
        out = {}
        for info in infos:
            try:
                out[info.filename] = z.read(info)
            except ZIP_ERRORS as e:
                raise fail(f"member {info.filename} is corrupt ({e})") from e
    return out


def content_digest(members: Mapping[str, bytes]) -> str:
    """sha256 over every member, in name order: each name and its bytes, length-prefixed.

    Unlike the file's own sha256 it does not depend on how the zip was compressed.
    """
    h = hashlib.sha256()
    for name in sorted(members):
        raw = name.encode("utf-8", "surrogatepass")
        for part in (raw, members[name]):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


def load_npy(blob: bytes, max_bytes: int) -> np.ndarray:
    """A plain .npy array whose header matches the bytes it holds, of at most ``max_bytes``.

    Raises:
        ValueError: not a .npy, a pickled or object array, a header that declares more (or
            fewer) values than stored, or more than ``max_bytes`` of data.
    """
    f = io.BytesIO(blob)
    try:
        major, _ = np.lib.format.read_magic(f)
        read_header = (
            np.lib.format.read_array_header_1_0
            if major == 1
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(f)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, tokenize.TokenError) as e:
        raise ValueError(f"not a .npy array ({e})") from e
    if dtype.hasobject:
        raise ValueError("an object array (pickles are refused)")
    need = math.prod(shape) * dtype.itemsize
    held = len(blob) - f.tell()
    if need > max_bytes or need != held:
        raise ValueError(f"its header declares {need} bytes of data, it holds {held}")
    f.seek(0)
    return np.load(f, allow_pickle=False)  # type: ignore[no-any-return]
