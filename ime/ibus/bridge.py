"""Xiezi's IBus engine: a small process under the system's python3 (IBus through GObject
introspection: python3-gi, gir1.2-ibus-1.0) that ibus-daemon starts from our component file.

The pad runs in Xiezi's own environment, which does not see the system's ``gi`` (issue 26),
so the two meet on a Unix socket (``wire.py``): the engine tells the pad when Xiezi is the
active input method (the pad shows) and when not (it hides), and the pad sends the text it
commits, which the engine passes to the focused client with ``commit_text``. Keys pass
through to the application unchanged. When Xiezi is switched on and no pad is connected, the
engine starts one (``--pad``). Imports nothing of Xiezi but its sibling ``wire.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # a sibling file: this one runs as a script

try:
    import gi

    gi.require_version("IBus", "1.0")
    from gi.repository import GLib, IBus
except (ImportError, ValueError) as e:  # a plain message, never a traceback (issue 26)
    sys.exit(
        f"xiezi-ibus: IBus's Python bindings are missing ({e}); install them, e.g. "
        "Debian/Ubuntu: sudo apt install ibus gir1.2-ibus-1.0 python3-gi"
    )

logger = logging.getLogger("xiezi-ibus")

ENGINE_NAME = "xiezi"
BUS_NAME = "org.freedesktop.IBus.Xiezi"
#: A pad is started at most once in this many seconds (one that fails to start is not retried
#: in a loop).
SPAWN_EVERY_S = 10.0


class Hub:
    """The engines ibus-daemon asked for, the pads connected to the socket, and their state."""

    def __init__(self, path: str, pad_command: str | None) -> None:
        self.path = path
        self.pad_command = pad_command
        self.engines: list[XieziEngine] = []
        self.enabled: XieziEngine | None = None  # the engine last switched on
        self.focused: XieziEngine | None = None  # the engine whose client has the focus
        self.clients: dict[int, tuple[socket.socket, wire.LineBuffer, int]] = {}
        self.last_spawn = -SPAWN_EVERY_S
        self.pad: subprocess.Popen[bytes] | None = None  # the pad this bridge started
        self.server = self._listen(path)
        GLib.io_add_watch(self.server.fileno(), GLib.IO_IN, self._accept)

    @staticmethod
    def _listen(path: str) -> socket.socket:
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        why = wire.unsafe(path)
        if why is not None:
            raise SystemExit(f"xiezi-ibus: will not listen on {path}: {why}")
        if os.path.lexists(path):
            os.unlink(path)  # an earlier bridge's; one bridge per IBus session
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            server.bind(path)
        finally:
            os.umask(old)
        server.listen(4)
        server.setblocking(False)
        logger.info("listening on %s", path)
        return server

    # ------------------------------------------------------------------ engines
    def state(self) -> dict[str, object]:
        return {"active": self.enabled is not None, "focused": self.focused is not None}

    def on_enable(self, engine: XieziEngine, on: bool) -> None:
        if on:
            self.enabled = engine
            if not self.clients:
                self.spawn_pad()
        elif self.enabled is engine:
            self.enabled = None
            if self.focused is engine:
                self.focused = None
        self.broadcast()

    def on_focus(self, engine: XieziEngine, on: bool) -> None:
        if on:
            self.focused = engine
        elif self.focused is engine:
            self.focused = None
        self.broadcast()

    def forget(self, engine: XieziEngine) -> None:
        if engine in self.engines:
            self.engines.remove(engine)
        if self.enabled is engine:
            self.enabled = None
        if self.focused is engine:
            self.focused = None
        self.broadcast()

    def commit(self, text: str) -> None:
        engine = self.focused or self.enabled
        if engine is None:
            logger.warning("no Xiezi engine is active: %r dropped", text)
            return
        engine.commit_text(IBus.Text.new_from_string(text))
        logger.info("committed %r", text)

    def spawn_pad(self) -> None:
        if not self.pad_command or time.monotonic() - self.last_spawn < SPAWN_EVERY_S:
            return
        self.last_spawn = time.monotonic()
        try:
            self.pad = subprocess.Popen(
                shlex.split(self.pad_command),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
            logger.info("started the pad: %s", self.pad_command)
        except OSError as e:
            logger.warning("cannot start the pad (%s): %s", self.pad_command, e)

    # ------------------------------------------------------------------ pads
    def _accept(self, _fd: int, _cond: int) -> bool:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return True
        conn.setblocking(False)
        watch = GLib.io_add_watch(conn.fileno(), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, self._read)
        self.clients[conn.fileno()] = (conn, wire.LineBuffer(), watch)
        logger.info("a pad connected")
        self._send(conn, self.state())
        return True

    def _read(self, fd: int, _cond: int) -> bool:
        conn, buffer, _ = self.clients[fd]
        try:
            data = conn.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            self._drop(fd)
            return False
        for line in buffer.feed(data):
            message = wire.decode(line)
            text = None if message is None else message.get("commit")
            if isinstance(text, str):
                self.commit(text)
            else:
                logger.warning("ignored a malformed message from a pad: %r", line[:80])
        return True

    def _drop(self, fd: int) -> None:
        conn, _, _ = self.clients.pop(fd)
        conn.close()
        logger.info("a pad disconnected")
        if self.pad is not None and self.pad.poll() is not None:  # reap it: no zombie
            self.pad = None

    def _send(self, conn: socket.socket, message: dict[str, object]) -> None:
        try:
            conn.sendall(wire.encode(message))
        except OSError as e:
            logger.info("a pad is gone (%s)", e)

    def broadcast(self) -> None:
        for conn, _, _ in list(self.clients.values()):
            self._send(conn, self.state())

    def close(self) -> None:
        for fd in list(self.clients):
            self._drop(fd)
        self.server.close()
        if os.path.lexists(self.path):
            os.unlink(self.path)


class XieziEngine(IBus.Engine):
    """Switching to Xiezi shows the pad and away hides it; every key goes to the application."""

    __gtype_name__ = "XieziEngine"

    def __init__(self, hub: Hub, **properties: object) -> None:
        super().__init__(**properties)
        self.hub = hub

    def do_enable(self) -> None:
        self.hub.on_enable(self, True)

    def do_disable(self) -> None:
        self.hub.on_enable(self, False)

    def do_focus_in(self) -> None:
        self.hub.on_focus(self, True)

    def do_focus_out(self) -> None:
        self.hub.on_focus(self, False)

    def do_process_key_event(self, keyval: int, keycode: int, state: int) -> bool:
        return False  # unchanged to the application (issue 26)

    def do_destroy(self) -> None:
        self.hub.forget(self)
        IBus.Engine.do_destroy(self)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xiezi-ibus", description=__doc__.splitlines()[0])
    p.add_argument("--ibus", action="store_true", help="started by ibus-daemon")
    p.add_argument("--pad", help="the command that starts the pad when none is connected")
    p.add_argument("--socket", help="the socket to listen on (default: wire.socket_path())")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s %(levelname)s: %(message)s",
    )
    IBus.init()
    bus = IBus.Bus()
    if not bus.is_connected():
        print(
            "xiezi-ibus: cannot reach ibus-daemon (is IBus running? `ibus-daemon -drx`)",
            file=sys.stderr,
        )
        return 1
    loop = GLib.MainLoop()
    hub = Hub(args.socket or wire.socket_path(), args.pad)
    factory = IBus.Factory.new(bus.get_connection())
    count = [0]

    def create(_factory: IBus.Factory, name: str) -> XieziEngine:
        count[0] += 1
        engine = XieziEngine(
            hub,
            engine_name=name,
            connection=bus.get_connection(),
            object_path=f"/org/freedesktop/IBus/Engine/Xiezi/{count[0]}",
        )
        hub.engines.append(engine)  # a Python reference, or the engine is collected
        return engine

    factory.connect("create-engine", create)
    bus.connect("disconnected", lambda _bus: loop.quit())
    bus.request_name(BUS_NAME, 0)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    finally:
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
