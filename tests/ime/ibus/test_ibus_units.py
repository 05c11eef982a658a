"""The IBus pieces without a daemon (issue 26): the socket's messages, the component file and
install step, the inserter's choice and the pad's link to a stand-in bridge."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ime.ibus import install, wire
from ime.ibus.inserter import IBusInserter
from tests.support.recording_inserter import RecordingInserter


def test_socket_path_is_per_display_in_the_runtime_dir(tmp_path: Path) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": ":3.0"}
    assert wire.socket_path(env) == str(tmp_path / "xiezi-ibus-_3.0.sock")
    assert wire.socket_path({**env, "WAYLAND_DISPLAY": "wayland-0"}).endswith(
        "xiezi-ibus-wayland-0.sock"
    )
    assert wire.socket_path({**env, "XIEZI_IBUS_SOCKET": "/x/y.sock"}) == "/x/y.sock"
    no_runtime = wire.socket_path({"DISPLAY": ":1", "TMPDIR": str(tmp_path)})
    assert Path(no_runtime).parent.name.startswith("xiezi-")


def test_a_socket_in_a_folder_others_can_write_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    path = str(folder / "x.sock")
    assert wire.unsafe(path) is None
    folder.chmod(0o777)
    assert "writable by others" in (wire.unsafe(path) or "")


@pytest.mark.parametrize(
    "line", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"{" * (wire.MAX_LINE + 1)]
)
def test_malformed_lines_decode_to_none(line: bytes) -> None:
    assert wire.decode(line) is None


def test_messages_round_trip_and_long_lines_are_dropped_whole() -> None:
    line = wire.encode({"commit": "写字\n"})
    assert line.count(b"\n") == 1  # a newline in the text is escaped by JSON
    buffer = wire.LineBuffer()
    assert buffer.feed(line[:3]) == []
    assert [wire.decode(x) for x in buffer.feed(line[3:])] == [{"commit": "写字\n"}]
    assert buffer.feed(b"x" * (wire.MAX_LINE + 5)) == []
    assert buffer.feed(b"tail of it\n" + line) == [line[:-1]]


def test_component_file_registers_xiezi(tmp_path: Path) -> None:
    icon = tmp_path / "a & b" / "icon.svg"
    root = ET.fromstring(install.component_xml("/usr/bin/python3", icon, ["/o'dd/xiezi"]))
    engine = root.find("engines/engine")
    assert engine is not None
    assert engine.findtext("name") == "xiezi" and engine.findtext("language") == "zh"
    assert engine.findtext("longname") == "Xiezi 写字"
    assert engine.findtext("icon") == str(icon)
    command = root.findtext("exec") or ""
    import shlex

    argv = shlex.split(command)
    assert argv[0] == "/usr/bin/python3" and argv[1].endswith("ime/ibus/bridge.py")
    assert Path(argv[1]).is_file()
    assert shlex.split(argv[argv.index("--pad") + 1]) == ["/o'dd/xiezi"]


def test_install_and_uninstall_for_the_user(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "IBUS_COMPONENT_PATH": "/opt/ibus/component"}
    layout = install.user_layout(env)
    written = install.install(layout, "/usr/bin/python3")
    assert layout.component == tmp_path / ".local/share/ibus/component/xiezi.xml"
    assert all(p.is_file() for p in written) and layout.env_file in written
    assert layout.env_file is not None
    line = install.component_path_line(layout, env)
    assert line == f"IBUS_COMPONENT_PATH=/opt/ibus/component:{layout.components}"
    assert (
        f"IBUS_COMPONENT_PATH=/usr/share/ibus/component:{layout.components}"
        in install.component_path_line(layout, {})
    )
    ET.fromstring(layout.component.read_text(encoding="utf-8"))  # well-formed
    assert install.uninstall(layout) == [layout.component, layout.icon, layout.env_file]
    assert not any(p.exists() for p in written)
    assert install.uninstall(layout) == []


def test_install_without_the_system_packages_says_which(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from ime.app import main

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(install, "system_python", lambda: None)
    assert main(["--install-ibus"]) == 3
    err = capsys.readouterr().err
    assert "gir1.2-ibus-1.0 python3-gi" in err and "Traceback" not in err
    assert not (tmp_path / ".local/share/ibus/component/xiezi.xml").exists()
    assert main(["--uninstall-ibus"]) == 0
    assert "not installed" in capsys.readouterr().out


class FakeLink:
    def __init__(self, active: bool, takes: bool = True) -> None:
        self.active, self.takes = active, takes
        self.sent: list[str] = []

    def commit(self, text: str) -> bool:
        self.sent.append(text)
        return self.takes


def test_inserter_commits_through_ibus_only_while_active() -> None:
    other = RecordingInserter()
    link = FakeLink(active=True)
    ibus = IBusInserter(link, other)  # type: ignore[arg-type]
    assert ibus.insert("写") and link.sent == ["写"] and other.committed == []
    assert ibus.name == "IBus" and not ibus.to_clipboard
    assert ibus.key("BackSpace") and other.keys == ["BackSpace"]  # keys stay the chain's
    link.active = False
    assert ibus.insert("字") and other.committed == ["字"] and link.sent == ["写"]
    assert ibus.name == other.name
    link.active, link.takes = True, False  # the bridge went away meanwhile: the chain
    assert ibus.insert("中") and other.committed == ["字", "中"]
    link.takes = True
    ibus.insert(b"x")  # type: ignore[arg-type]  # not a str: left to the chain, which checks it
    assert link.sent == ["写", "中"]


@pytest.mark.gui
def test_link_follows_the_bridge_and_ignores_garbage(qtbot, tmp_path: Path) -> None:
    from ime.ibus.link import IBusLink
    from ime.qt import QLocalServer

    path = str(tmp_path / "bridge.sock")
    link = IBusLink(path, retry_ms=50)
    assert not link.connected and not link.active  # no socket yet: nothing happens
    server = QLocalServer()
    assert server.listen(path)
    with qtbot.waitSignal(server.newConnection, timeout=3000):
        pass
    peer = server.nextPendingConnection()
    assert link.connected
    with qtbot.waitSignal(link.shown, timeout=3000) as shown:
        peer.write(b"garbage\n[1]\n" + wire.encode({"active": True, "focused": True}))
    assert shown.args == [True] and link.active
    assert link.commit("写")
    qtbot.waitUntil(lambda: peer.bytesAvailable() > 0 or peer.waitForReadyRead(10), timeout=3000)
    assert json.loads(bytes(peer.readAll().data())) == {"commit": "写"}
    with qtbot.waitSignal(link.shown, timeout=3000) as shown:
        peer.write(wire.encode({"active": False, "focused": False}))
    assert shown.args == [False] and not link.active
    with qtbot.waitSignal(link.changed, timeout=3000):
        peer.write(wire.encode({"active": True, "focused": True}))
    with qtbot.waitSignal(link.changed, timeout=3000):
        peer.disconnectFromServer()
    assert not link.active
    link.close()
    server.close()
