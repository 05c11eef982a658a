"""Things that are not settings files (issue 22): FIFOs, device nodes, folders, sockets, links;
and a snapshot of a folder that shows whether anything in it was renamed, written or added."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def _device(major: int, minor: int) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        if not hasattr(os, "mknod") or os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        try:
            os.mknod(p, stat.S_IFCHR | 0o666, os.makedev(major, minor))
        except PermissionError:
            pytest.skip("no CAP_MKNOD here")

    return make


def _socket(p: Path) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(str(p))
    finally:
        s.close()  # the socket file stays


def _linked(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def make_link(p: Path) -> None:
        make(p.with_name("target"))
        p.symlink_to("target")

    return make_link


#: name -> a function that makes that thing at a path. The devices are copies of /dev/null and
#: /dev/zero made with mknod, never the real ones.
SPECIAL: dict[str, Callable[[Path], None]] = {
    "fifo": os.mkfifo,
    "char device (copy of /dev/null)": _device(1, 3),
    "char device (copy of /dev/zero)": _device(1, 5),
    "folder": lambda p: p.mkdir(),
    "socket": _socket,
    "symlink to a fifo": _linked(os.mkfifo),
    "symlink to a char device": _linked(_device(1, 3)),
}


def snapshot(folder: Path) -> dict[str, tuple[int, ...]]:
    """Every entry of folder (not following links) -> inode, mode, size, mtime, device."""
    out = {}
    for name in sorted(os.listdir(folder)):
        st = os.lstat(folder / name)
        out[name] = (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_rdev)
    return out


def within(seconds: float, fn: Callable[..., Any], *args: Any, fifo: Path | None = None) -> Any:
    """fn(*args), failing the test if it takes longer than seconds. A call blocked opening a
    FIFO is released (by opening its other end) so the test run goes on."""
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - raised again in the test's thread
            box["error"] = e

    t = threading.Thread(target=call, daemon=True)
    t0 = time.perf_counter()
    t.start()
    t.join(seconds)
    if t.is_alive():
        if fifo is not None:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"{getattr(fn, '__name__', fn)} took more than {seconds} s")
    if "error" in box:
        raise box["error"]
    assert time.perf_counter() - t0 < seconds
    return box["value"]
