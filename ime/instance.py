"""One pad per user, display and settings file: a second ``xiezi`` brings the running pad
forward and exits (issue 23).

The first pad listens on a local socket (``QLocalServer``: a Unix domain socket, or a named
pipe on Windows; nothing leaves the machine) whose name holds the user id, the display and a
digest of the settings file, so two users, two desktops or two deliberately separate settings
files never meet. A later start connects, says "show" and exits when the pad answers. A socket
left behind by a pad that crashed answers nobody: it is removed and the new pad listens.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

from ime.qt import QLocalServer, QLocalSocket, QObject, Signal

logger = logging.getLogger(__name__)

#: How long a start waits for the running pad to connect and answer, ms.
ANSWER_MS = 2000
SHOW, ANSWER = b"show\n", b"shown\n"


def server_name(settings: Path, environ: Mapping[str, str] | None = None) -> str:
    """The socket name for this user, display (or Wayland session) and settings file."""
    environ = os.environ if environ is None else environ
    user = str(os.getuid()) if hasattr(os, "getuid") else environ.get("USERNAME", "user")
    display = environ.get("WAYLAND_DISPLAY") or environ.get("DISPLAY") or "none"
    digest = hashlib.sha256(str(settings.resolve()).encode()).hexdigest()[:12]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"xiezi-{user}-{display}-{digest}")


def ask_running(name: str, timeout_ms: int = ANSWER_MS) -> bool:
    """Ask the pad listening on ``name`` to come forward; True when it answered."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False  # none there, or a stale socket of a pad that is gone
    socket.write(SHOW)
    socket.waitForBytesWritten(timeout_ms)
    answered = False
    while socket.waitForReadyRead(timeout_ms):
        if bytes(socket.readAll().data()).startswith(ANSWER):
            answered = True
            break
    socket.disconnectFromServer()
    return answered


class Instance(QObject):
    """The running pad's end: listens on ``name``; ``show`` is emitted when a later start
    asks for the pad."""

    show = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        """Listen, replacing a stale socket; False (logged) when it cannot: the pad then runs
        without it."""
        if self.server.listen(self.name):
            logger.info("listening on %s", self.server.fullServerName())
            return True
        QLocalServer.removeServer(self.name)  # a crashed pad's socket: nobody answered on it
        if self.server.listen(self.name):
            logger.info(
                "listening on %s (a stale socket was removed)", self.server.fullServerName()
            )
            return True
        logger.warning(
            "cannot listen on %s (%s): a second xiezi will open a second pad",
            self.name,
            self.server.errorString(),
        )
        return False

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._on_request(s))
            socket.disconnected.connect(socket.deleteLater)

    def _on_request(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(SHOW):
            logger.info("another start asked for the pad")
            self.show.emit()
            socket.write(ANSWER)
            socket.flush()

    def close(self) -> None:
        self.server.close()
