"""Checks before and just after Qt starts: a display, Qt's xcb libraries, a Chinese font.

Without them Qt aborts (exit 134, naming the wrong library) or draws every character as an
empty box (issue 15). Each check returns what is missing in plain words with the command that
installs it, in the user's language ("zh" or "en", issue 23), so ``xiezi`` can say so and exit
instead.
"""

from __future__ import annotations

import ctypes
import html
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ime.i18n import tr

#: Libraries Qt's xcb platform plugin loads (``ldd libQt6XcbQpa.so.6``, PySide6 6.x) that a
#: minimal desktop may lack, with the package that brings each: Debian/Ubuntu, Fedora, Arch.
XCB_LIBRARIES: dict[str, tuple[str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-render-util.so.0": (
        "libxcb-render-util0",
        "xcb-util-renderutil",
        "xcb-util-renderutil",
    ),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
}
#: A font with the GB2312 characters, per system.
FONT_PACKAGES = ("fonts-noto-cjk", "google-noto-sans-cjk-fonts", "noto-fonts-cjk")
#: Platforms that need no display server (tests, VNC, framebuffers).
HEADLESS = ("offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay")


@dataclass(frozen=True)
class Problem:
    """Something missing, said in the user's language.

    Attributes:
        summary: what is missing and what to do, in a sentence or two.
        exit_code: for ``main``.
        commands: (system, command) pairs that install what is missing, e.g.
            ("Debian/Ubuntu", "sudo apt install fonts-noto-cjk").
        note: a line after the commands, or "".
    """

    summary: str
    exit_code: int
    commands: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def message(self) -> str:
        """Plain text for a terminal: the commands in an aligned column."""
        width = max((len(system) for system, _ in self.commands), default=0) + 2
        lines = [self.summary] + [
            f"  {system + ':' if system else '':<{width}}{command}"
            for system, command in self.commands
        ]
        return "\n".join(lines + ([f"  {self.note}"] if self.note else []))

    def html(self) -> str:
        """Rich text for a message box: the commands in a table whose cells never wrap, so a
        package name is never broken and the columns stay columns (issue 23)."""
        rows = "".join(
            f"<tr><td style='white-space:pre'>{html.escape(system + ':' if system else '')}"
            "&nbsp;&nbsp;</td>"
            f"<td style='white-space:pre'><code>{html.escape(command)}</code></td></tr>"
            for system, command in self.commands
        )
        table = f"<table cellspacing='2'>{rows}</table>" if rows else ""
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        summary = html.escape(self.summary).replace("\n", "<br>")
        return f"<p>{summary}</p>{table}{note}"


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def _platform(environ: Mapping[str, str]) -> str:
    return environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()


def check_display(
    environ: Mapping[str, str] | None = None, system: str = sys.platform, lang: str = "en"
) -> Problem | None:
    """On Linux and BSD, a graphical session: DISPLAY or WAYLAND_DISPLAY (or a headless Qt
    platform chosen on purpose)."""
    environ = os.environ if environ is None else environ
    if system in ("win32", "darwin") or _platform(environ) in HEADLESS:
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return Problem(tr("no_display", lang), 2)


def check_xcb_libraries(
    environ: Mapping[str, str] | None = None,
    system: str = sys.platform,
    loadable: Callable[[str], bool] = _loadable,
    lang: str = "en",
) -> Problem | None:
    """When Qt will use X11 (xcb), the libraries its plugin loads; None when all load."""
    environ = os.environ if environ is None else environ
    if not system.startswith("linux"):
        return None
    platform = _platform(environ)
    uses_xcb = platform == "xcb" or (
        not platform and environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY")
    )
    if not uses_xcb:
        return None
    missing = [lib for lib in XCB_LIBRARIES if not loadable(lib)]
    if not missing:
        return None
    debian, fedora, arch = (sorted({XCB_LIBRARIES[lib][i] for lib in missing}) for i in range(3))
    return Problem(
        tr("xcb_missing", lang, libs=", ".join(missing)),
        3,
        (
            ("Debian/Ubuntu", f"sudo apt install {' '.join(debian)}"),
            ("Fedora", f"sudo dnf install {' '.join(fedora)}"),
            ("Arch", f"sudo pacman -S {' '.join(arch)}"),
        ),
    )


def check_font(sample: str, lang: str = "en") -> Problem | None:
    """After the QApplication exists: a font that draws every character of ``sample``."""
    from ime.qt import QFont, QFontDatabase, QFontMetrics

    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    codes = [ord(c) for c in sample]
    for family in families:
        metrics = QFontMetrics(QFont(family))
        if all(metrics.inFontUcs4(c) for c in codes):
            return None
    debian, fedora, arch = FONT_PACKAGES
    # Without a Chinese font, Chinese text in the box is a row of empty boxes: Chinese first,
    # then English, which every font draws.
    summary = (
        tr("no_font", lang) if lang == "en" else f"{tr('no_font', lang)}\n{tr('no_font', 'en')}"
    )
    return Problem(
        summary,
        4,
        (
            ("Debian/Ubuntu", f"sudo apt install {debian}"),
            ("", tr("font_or", lang, command="sudo apt install fonts-wqy-microhei")),
            ("Fedora", f"sudo dnf install {fedora}"),
            ("Arch", f"sudo pacman -S {arch}"),
        ),
        tr("font_other_os", lang),
    )


def before_qt(environ: Mapping[str, str] | None = None, lang: str = "en") -> Problem | None:
    """The checks that must pass before a QApplication is created (else Qt aborts)."""
    return check_display(environ, lang=lang) or check_xcb_libraries(environ, lang=lang)
