"""``xiezi --install-ibus`` / ``--uninstall-ibus``: register Xiezi with IBus for this user.

ibus-daemon reads component files from ``IBUS_COMPONENT_PATH`` when it is set, else only from
its system folder (``/usr/share/ibus/component``, root's). So, without root, the component
goes to ``~/.local/share/ibus/component/xiezi.xml`` and a systemd user-environment file
(``~/.config/environment.d/90-xiezi-ibus.conf``) adds that folder to the path, which
GNOME's ibus-daemon (a systemd user service) sees from the next login on. ``--system`` (root)
writes to the system folder instead, which every desktop reads.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

logger = logging.getLogger(__name__)

ENGINE = "xiezi"
#: The packages that give the system's python3 IBus (per distribution, README "IBus").
PACKAGES = (
    "Debian/Ubuntu: sudo apt install ibus ibus-gtk3 gir1.2-ibus-1.0 python3-gi\n"
    "Fedora: sudo dnf install ibus ibus-gtk3 python3-gobject\n"
    "Arch: sudo pacman -S ibus python-gobject\n"
    "openSUSE: sudo zypper install ibus python3-gobject typelib-1_0-IBus-1_0"
)
SYSTEM_COMPONENTS = Path("/usr/share/ibus/component")
ICON = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect width="64" height="64" rx="10" fill="#c0392b"/>
<path d="M14 16h36v8M14 16v8M22 30h22l-4 14M18 38h26M30 20v12" fill="none" stroke="#fff"
 stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/>
<path d="M20 52h30" stroke="#fff" stroke-width="5" stroke-linecap="round"/>
</svg>
"""


@dataclass
class Layout:
    """Where the install step writes.

    Attributes:
        components: the folder of IBus component files the component goes in.
        icon: the engine's icon (SVG).
        env_file: the systemd user-environment file that adds ``components`` to
            ``IBUS_COMPONENT_PATH``; None when ibus-daemon reads ``components`` anyway.
    """

    components: Path
    icon: Path
    env_file: Path | None

    @property
    def component(self) -> Path:
        return self.components / f"{ENGINE}.xml"


def user_layout(environ: Mapping[str, str] | None = None) -> Layout:
    environ = os.environ if environ is None else environ
    home = Path(environ.get("HOME") or Path.home())
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return Layout(
        data / "ibus" / "component",
        data / "xiezi" / "xiezi-ibus.svg",
        config / "environment.d" / "90-xiezi-ibus.conf",
    )


def system_layout() -> Layout:
    return Layout(SYSTEM_COMPONENTS, Path("/usr/share/xiezi/xiezi-ibus.svg"), None)


def system_python(candidates: tuple[str, ...] = ("/usr/bin/python3", "python3")) -> str | None:
    """The first python3 of the system that imports IBus's bindings (``gi``), or None."""
    probe = "import gi; gi.require_version('IBus', '1.0'); from gi.repository import IBus"
    for name in candidates:
        exe = shutil.which(name)
        if exe is None:
            continue
        try:
            done = subprocess.run(
                [exe, "-c", probe],
                capture_output=True,
                timeout=20,
                check=False,
                env={**os.environ, "PYTHONPATH": ""},
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return exe
    return None


def missing(python: str | None) -> str | None:
    """What is missing for Xiezi's IBus engine, with the packages that bring it; None if
    nothing."""
    if shutil.which("ibus-daemon") is None or python is None:
        what = "IBus" if shutil.which("ibus-daemon") is None else "IBus's Python bindings"
        return f"{what} not found. Install the system packages, then run this again:\n{PACKAGES}"
    return None


def component_xml(python: str, icon: Path, pad: list[str] | None = None) -> str:
    """The IBus component file: ibus-daemon runs ``bridge.py`` under ``python``, which starts
    the pad (``pad``, default: this interpreter's ``-m ime.app``) when the user switches to
    Xiezi."""
    bridge = Path(__file__).resolve().with_name("bridge.py")
    pad_command = shlex.join(pad or [sys.executable, "-m", "ime.app"])
    command = shlex.join([python, str(bridge), "--ibus", "--pad", pad_command])
    return f"""<?xml version="1.0" encoding="utf-8"?>
<component>
  <name>org.freedesktop.IBus.Xiezi</name>
  <description>Xiezi: offline Chinese handwriting</description>
  <exec>{escape(command)}</exec>
  <version>0.1.0</version>
  <author>Xiezi</author>
  <license>MIT</license>
  <homepage>https://example.invalid/xiezi</homepage>
  <textdomain>xiezi</textdomain>
  <engines>
    <engine>
      <name>{ENGINE}</name>
      <language>zh</language>
      <license>MIT</license>
      <author>Xiezi</author>
      <icon>{escape(str(icon))}</icon>
      <layout>default</layout>
      <longname>Xiezi 写字</longname>
      <description>Handwriting pad for Chinese (offline)</description>
      <rank>0</rank>
      <symbol>写</symbol>
    </engine>
  </engines>
</component>
"""


def component_path_line(layout: Layout, environ: Mapping[str, str] | None = None) -> str:
    """``IBUS_COMPONENT_PATH=...``: the folders ibus-daemon reads now, then ours."""
    environ = os.environ if environ is None else environ
    now = [p for p in environ.get("IBUS_COMPONENT_PATH", "").split(":") if p]
    folders = now or [str(SYSTEM_COMPONENTS)]
    if str(layout.components) not in folders:
        folders.append(str(layout.components))
    return "IBUS_COMPONENT_PATH=" + ":".join(folders)


def install(layout: Layout, python: str, pad: list[str] | None = None) -> list[Path]:
    """Write the component, its icon and (user install) the environment file; the paths."""
    written = [layout.component, layout.icon]
    layout.components.mkdir(parents=True, exist_ok=True)
    layout.icon.parent.mkdir(parents=True, exist_ok=True)
    layout.icon.write_text(ICON, encoding="utf-8")
    layout.component.write_text(component_xml(python, layout.icon, pad), encoding="utf-8")
    if layout.env_file is not None:
        layout.env_file.parent.mkdir(parents=True, exist_ok=True)
        layout.env_file.write_text(
            "# Written by `xiezi --install-ibus`; removed by `xiezi --uninstall-ibus`.\n"
            + component_path_line(layout)
            + "\n",
            encoding="utf-8",
        )
        written.append(layout.env_file)
    return written


def uninstall(layout: Layout) -> list[Path]:
    """Remove what ``install`` wrote; the paths that were there."""
    removed = []
    for path in (layout.component, layout.icon, layout.env_file):
        if path is not None and path.exists():
            path.unlink()
            removed.append(path)
    return removed


def run(install_it: bool, system: bool = False) -> int:
    """The CLI step: messages on stdout/stderr, exit status 0 when done."""
    layout = system_layout() if system else user_layout()
    if not install_it:
        removed = uninstall(layout)
        print(
            "removed:\n  " + "\n  ".join(map(str, removed))
            if removed
            else "Xiezi's IBus component was not installed here."
        )
        print("Restart IBus (`ibus restart`) so it forgets the engine.")
        return 0
    python = system_python()
    problem = missing(python)
    if problem is not None or python is None:
        print(problem, file=sys.stderr)
        return 3
    try:
        written = install(layout, python)
    except OSError as e:
        where = "run it as root (sudo)" if system else "check the folder's permissions"
        print(f"cannot install Xiezi's IBus component: {e}; {where}", file=sys.stderr)
        return 1
    print("wrote:\n  " + "\n  ".join(map(str, written)))
    if layout.env_file is not None:
        line = component_path_line(layout)
        # `ibus restart` re-executes the daemon with its old environment: restart the unit.
        print(
            "IBus reads the user folder from your next login on (GNOME, or any desktop that "
            f"starts IBus as a systemd user service). To use it now on GNOME:\n"
            f"  systemctl --user set-environment {line}\n"
            "  systemctl --user restart org.freedesktop.IBus.session.GNOME.service\n"
            f"Elsewhere, start IBus with that variable set: {line} ibus-daemon -drx\n"
            "Or install for all users instead (root): "
            f"sudo {shlex.quote(sys.argv[0])} --install-ibus --system"
        )
    else:
        print("Restart IBus: ibus restart")
    print(
        "Then add 'Chinese → Xiezi 写字' in Settings → Keyboard → Input Sources, or run "
        "`ibus engine xiezi`."
    )
    return 0
