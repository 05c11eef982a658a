"""The pad's end of the IBus bridge's socket (``bridge.py``): knows whether Xiezi is the
active IBus engine and sends it the text to commit."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from ime.ibus import wire
from ime.qt import QLocalSocket, QObject, QTimer, Signal

logger = logging.getLogger(__name__)

#: While not connected, how often the pad looks for the bridge's socket, ms (a stat of one
#: path; the bridge starts when the user first switches to Xiezi, maybe after the pad).
RETRY_MS = 2000


class IBusLink(QObject):
    """Connects to the bridge when its socket appears, and again after it went away.

    ``active`` is True while Xiezi is the enabled IBus engine and a client has the focus: only
    then does ``commit`` reach an application. ``shown`` is emitted with True when the user
    switches to Xiezi and False when away (the pad shows or hides).
    """

    shown = Signal(bool)
    changed = Signal()

    def __init__(
        self,
        path: str | None = None,
        environ: Mapping[str, str] | None = None,
        retry_ms: int = RETRY_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path or wire.socket_path(environ)
        self.enabled = False
        self.focused = False
        self._buffer = wire.LineBuffer()
        self._distrusted = False
        self.socket = QLocalSocket(self)
        self.socket.readyRead.connect(self._read)
        self.socket.disconnected.connect(self._lost)
        self.retry = QTimer(self)
        self.retry.setInterval(retry_ms)
        self.retry.timeout.connect(self.connect_now)
        self.retry.start()
        self.connect_now()

    @property
    def connected(self) -> bool:
        return self.socket.state() == QLocalSocket.LocalSocketState.ConnectedState

    @property
    def active(self) -> bool:
        return self.connected and self.enabled and self.focused

    def connect_now(self) -> bool:
        """Try the socket once (when it exists); True when connected."""
        if self.connected:
            return True
        if not os.path.exists(self.path):
            return False
        why = wire.unsafe(self.path)
        if why is not None:
            if not self._distrusted:
                logger.warning("not using the IBus engine's socket: %s", why)
                self._distrusted = True
            return False
        self.socket.abort()
        self.socket.connectToServer(self.path)
        if not self.socket.waitForConnected(500):
            logger.info(
                "IBus bridge at %s does not answer: %s", self.path, self.socket.errorString()
            )
            self.socket.abort()
            return False
        logger.info("connected to Xiezi's IBus engine at %s", self.path)
        return True

    def commit(self, text: str) -> bool:
        """Send ``text`` to the bridge; True when written (the bridge commits it)."""
        if not self.connected:
            return False
        written = self.socket.write(wire.encode({"commit": text}))
        self.socket.flush()
        return bool(written > 0)

    def _read(self) -> None:
        for line in self._buffer.feed(bytes(self.socket.readAll().data())):
            message = wire.decode(line)
            if message is None or not isinstance(message.get("active"), bool):
                logger.warning("ignored a malformed message from the IBus bridge: %r", line[:80])
                continue
            was = self.enabled
            self.enabled = bool(message["active"])
            self.focused = bool(message.get("focused"))
            self.changed.emit()
            if self.enabled != was:
                self.shown.emit(self.enabled)

    def _lost(self) -> None:
        logger.info("the IBus bridge went away")
        self._buffer = wire.LineBuffer()
        self.enabled = self.focused = False
        self.changed.emit()

    def close(self) -> None:
        self.retry.stop()
        self.socket.abort()
