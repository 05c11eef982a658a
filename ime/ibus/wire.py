"""The bridge's socket: where it is and the messages on it (standard library only: the IBus
bridge imports this file as a sibling under the system's python3, the pad as ``ime.ibus.wire``).

One JSON object per line, UTF-8. Bridge to pad: ``{"active": bool, "focused": bool}`` (Xiezi
is the enabled IBus engine / an input context has the focus), sent at connection and at each
change. Pad to bridge: ``{"commit": str}``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping

#: Longest line either end accepts, bytes (a commit is a few characters; 64 KiB is lenient).
MAX_LINE = 65536


def socket_dir(environ: Mapping[str, str] | None = None) -> str:
    """``$XDG_RUNTIME_DIR`` (private to the user), else a ``xiezi-<uid>`` folder in the
    temporary directory that the bridge creates with mode 0700."""
    environ = os.environ if environ is None else environ
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return runtime
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(environ.get("TMPDIR") or tempfile.gettempdir(), f"xiezi-{uid}")


def socket_path(environ: Mapping[str, str] | None = None) -> str:
    """The bridge's Unix socket for this user and display (``DISPLAY`` or
    ``WAYLAND_DISPLAY``); ``XIEZI_IBUS_SOCKET`` overrides it (tests)."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("XIEZI_IBUS_SOCKET")
    if explicit:
        return explicit
    display = environ.get("WAYLAND_DISPLAY") or environ.get("DISPLAY") or "none"
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"xiezi-ibus-{display}.sock")
    return os.path.join(socket_dir(environ), name)


def unsafe(path: str) -> str | None:
    """Why the socket at ``path`` (or its folder) may be another user's, or None: both must
    be this user's and the folder closed to others (a shared ``/tmp`` folder could be
    planted)."""
    if not hasattr(os, "getuid"):
        return None
    for item in (os.path.dirname(path), path):
        try:
            st = os.lstat(item)
        except OSError:
            continue  # not there (yet): nothing to trust or distrust
        if st.st_uid != os.getuid():
            return f"{item} belongs to uid {st.st_uid}, not to this user"
        if item != path and st.st_mode & 0o022:
            return f"{item} is writable by others (mode {st.st_mode & 0o777:o})"
    return None


def encode(message: Mapping[str, object]) -> bytes:
    """One message as a line of JSON."""
    return json.dumps(dict(message), ensure_ascii=False).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, object] | None:
    """A line back into a message; None (never an exception) for anything malformed."""
    if len(line) > MAX_LINE:
        return None
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return message if isinstance(message, dict) else None


class LineBuffer:
    """Bytes in, complete lines out; a line longer than ``MAX_LINE`` is dropped whole."""

    def __init__(self) -> None:
        self._data = b""
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        self._data += data
        lines: list[bytes] = []
        while b"\n" in self._data:
            line, self._data = self._data.split(b"\n", 1)
            if self._skipping:
                self._skipping = False
                continue
            lines.append(line)
        if len(self._data) > MAX_LINE:
            self._data, self._skipping = b"", True
        return lines
