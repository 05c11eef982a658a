"""Checks before and just after Qt starts: a display, Qt's xcb libraries, a Chinese font.

Without them Qt aborts (exit 134, naming the wrong library) or draws every character as an
empty box (issue 15). Each check returns what is missing in plain words with the command that
installs it, so ``xiezi`` can say so and exit instead.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Libraries Qt's xcb platform plugin loads (``ldd libQt6XcbQpa.so.6``, PySide6 6.x) that a
#: minimal desktop may lack, with the package that brings each: Debian/Ubuntu, Fedora, Arch.
XCB_LIBRARIES: dict[str, tuple[str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil",
                                "xcb-util-renderutil"),
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
    """Something missing: ``message`` says what and how to fix it; ``exit_code`` for main."""

    message: str
    exit_code: int


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def _platform(environ: Mapping[str, str]) -> str:
    return environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()


def check_display(environ: Mapping[str, str] | None = None,
                  system: str = sys.platform) -> Problem | None:
    """On Linux and BSD, a graphical session: DISPLAY or WAYLAND_DISPLAY (or a headless Qt
    platform chosen on purpose)."""
    environ = os.environ if environ is None else environ
    if system in ("win32", "darwin") or _platform(environ) in HEADLESS:
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return Problem(
        "xiezi needs a graphical desktop: neither DISPLAY (X11) nor WAYLAND_DISPLAY (Wayland) "
        "is set. Start it from a desktop session (a terminal or the menu of your desktop), or "
        "point it at a running X server, e.g. DISPLAY=:0 xiezi.", 2)


def check_xcb_libraries(environ: Mapping[str, str] | None = None, system: str = sys.platform,
                        loadable: Callable[[str], bool] = _loadable) -> Problem | None:
    """When Qt will use X11 (xcb), the libraries its plugin loads; None when all load."""
    environ = os.environ if environ is None else environ
    if not system.startswith("linux"):
        return None
    platform = _platform(environ)
    uses_xcb = platform == "xcb" or (not platform and environ.get("DISPLAY")
                                     and not environ.get("WAYLAND_DISPLAY"))
    if not uses_xcb:
        return None
    missing = [lib for lib in XCB_LIBRARIES if not loadable(lib)]
    if not missing:
        return None
    debian, fedora, arch = (sorted({XCB_LIBRARIES[lib][i] for lib in missing}) for i in range(3))
    return Problem(
        "xiezi cannot open its window: Qt's X11 support needs system libraries that are not "
        f"installed ({', '.join(missing)}). Install them, then start xiezi again:\n"
        f"  Debian/Ubuntu:  sudo apt install {' '.join(debian)}\n"
        f"  Fedora:         sudo dnf install {' '.join(fedora)}\n"
        f"  Arch:           sudo pacman -S {' '.join(arch)}", 3)


def check_font(sample: str) -> Problem | None:
    """After the QApplication exists: a font that draws every character of ``sample``."""
    from ime.qt import QFont, QFontDatabase, QFontMetrics

    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    codes = [ord(c) for c in sample]
    for family in families:
        metrics = QFontMetrics(QFont(family))
        if all(metrics.inFontUcs4(c) for c in codes):
            return None
    debian, fedora, arch = FONT_PACKAGES
    return Problem(
        "xiezi found no font with Chinese characters: every candidate would be an empty box. "
        "Install one, then start xiezi again:\n"
        f"  Debian/Ubuntu:  sudo apt install {debian}   (or fonts-wqy-microhei, 5 MB)\n"
        f"  Fedora:         sudo dnf install {fedora}\n"
        f"  Arch:           sudo pacman -S {arch}\n"
        "  (Windows and macOS ship Chinese fonts.)", 4)


def before_qt(environ: Mapping[str, str] | None = None) -> Problem | None:
    """The checks that must pass before a QApplication is created (else Qt aborts)."""
    return check_display(environ) or check_xcb_libraries(environ)
