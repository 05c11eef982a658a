"""A private desktop for the IBus tests: Xvfb, a D-Bus session bus and ibus-daemon with
Xiezi's component, in a fresh HOME, all started (and ended) by the test itself."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.xharness import Xvfb, XvfbUnavailable

SYSTEM_PYTHON = "/usr/bin/python3"
PACKAGES = "apt-get install ibus ibus-gtk3 gir1.2-ibus-1.0 python3-gi dbus-x11 gir1.2-gtk-3.0"


def missing() -> str | None:
    """Why the IBus tests cannot run here (the packages to install), or None."""
    for tool in ("ibus-daemon", "ibus", "dbus-daemon", "Xvfb"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed ({PACKAGES})"
    probe = (
        "import gi; gi.require_version('IBus', '1.0'); gi.require_version('Gtk', '3.0');"
        "from gi.repository import IBus, Gtk"
    )
    if (
        not Path(SYSTEM_PYTHON).exists()
        or subprocess.run(
            [SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30, check=False
        ).returncode
        != 0
    ):
        return f"the system python3 lacks IBus/GTK bindings ({PACKAGES})"
    if not list(Path("/usr/lib").glob("*/gtk-3.0/3.0.0/immodules/im-ibus.so")) and not list(
        Path("/usr/lib64").glob("gtk-3.0/3.0.0/immodules/im-ibus.so")
    ):
        return f"GTK's IBus module (ibus-gtk3) is not installed ({PACKAGES})"
    return None


@dataclass
class Session:
    """The private desktop: ``env`` for every process of the test, ``log`` ibus-daemon's."""

    env: dict[str, str]
    home: Path
    log: Path

    def ibus(self, *args: str, timeout_s: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ibus", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def wait(self, what: str, check, timeout_s: float = 20.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = check()
            if got:
                return got
            time.sleep(0.2)
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise TimeoutError(f"{what}: not within {timeout_s} s; ibus-daemon said: {tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


#: What the engine starts when no pad is connected, by default in these tests: a stand-in
#: that leaves a mark in HOME (the tests start their own pad).
MARK_PAD = [SYSTEM_PYTHON, "-c", "import os; open(os.path.expanduser('~/pad-started'), 'w')"]


@pytest.fixture
def ibus_session(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Session]:
    """Xvfb + a private session bus + ibus-daemon reading our component from the fresh HOME
    (installed by ``ime.ibus.install`` as ``xiezi --install-ibus`` does). The pad command the
    engine runs is ``MARK_PAD``, or the test's indirect parameter."""
    why = missing()
    if why is not None:
        pytest.skip(why)
    from ime.ibus import install

    try:
        xvfb = Xvfb()
    except XvfbUnavailable as e:
        pytest.skip(str(e))
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = xvfb.env(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        GTK_IM_MODULE="ibus",
        NO_AT_BRIDGE="1",
    )
    env.pop("IBUS_COMPONENT_PATH", None)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    procs: list[subprocess.Popen[bytes]] = [bus]
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        layout = install.user_layout(env)
        install.install(layout, SYSTEM_PYTHON, pad=getattr(request, "param", None) or MARK_PAD)
        env["IBUS_COMPONENT_PATH"] = install.component_path_line(layout, env).split("=", 1)[1]
        log = tmp_path / "ibus-daemon.log"
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [
                        "ibus-daemon",
                        "--replace",
                        "--single",
                        "--panel=disable",
                        "--emoji-extension=disable",
                        "--config=disable",
                        "--cache=none",
                        "--verbose",
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        session = Session(env, home, log)
        session.wait(
            "ibus-daemon lists its engines", lambda: "xkb:" in session.ibus("list-engine").stdout
        )
        yield session
    finally:
        for proc in reversed(procs):
            _stop(proc)
        xvfb.close()
