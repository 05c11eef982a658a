"""Start-up checks (issue 15): no display, Qt's xcb libraries, no Chinese font, all said in
plain words with the fix, and a non-zero exit instead of Qt's abort or empty boxes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ime.preflight import XCB_LIBRARIES, check_display, check_xcb_libraries
from tests.support.pad_process import run_python


def run_pad(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    settings = str(tmp_path / "s.json")
    args = ["-m", "ime.app", "--no-tray", "--exit-after-paint", "--settings", settings]
    return run_python(args, env, timeout_s=120)


def test_no_display_is_said_and_exits_2() -> None:
    p = check_display({}, "linux")
    assert p is not None and p.exit_code == 2
    assert "DISPLAY" in p.message and "WAYLAND_DISPLAY" in p.message
    assert check_display({"DISPLAY": ":0"}, "linux") is None
    assert check_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert check_display({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert check_display({}, "win32") is None


def test_missing_xcb_libraries_are_named_with_their_packages() -> None:
    missing = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    p = check_xcb_libraries({"DISPLAY": ":0"}, "linux", loadable=lambda lib: lib not in missing)
    assert p is not None and p.exit_code == 3
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in p.message
    assert "sudo dnf install xcb-util-keysyms xcb-util-wm" in p.message
    assert "sudo pacman -S xcb-util-keysyms xcb-util-wm" in p.message
    assert "cursor" not in p.message  # Qt's own message names xcb-cursor whatever is missing
    assert check_xcb_libraries({"DISPLAY": ":0"}, "linux", loadable=lambda lib: True) is None
    # Qt will not use xcb: nothing to check.
    assert (
        check_xcb_libraries(
            {"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}, "linux", loadable=lambda lib: False
        )
        is None
    )
    assert (
        check_xcb_libraries({"QT_QPA_PLATFORM": "offscreen"}, "linux", loadable=lambda lib: False)
        is None
    )


def test_every_library_has_a_package_on_each_system() -> None:
    assert all(len(pkgs) == 3 and all(pkgs) for pkgs in XCB_LIBRARIES.values())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 / Wayland sessions")
def test_the_pad_without_a_display_says_so_and_exits_non_zero(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    done = run_pad(env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "needs a graphical desktop" in done.stderr


@pytest.mark.skipif(
    not Path("/usr/share/fonts/truetype/dejavu").is_dir(),
    reason="needs DejaVu (a font without Chinese) for the no-CJK-font case",
)
def test_the_pad_without_a_chinese_font_says_which_to_install(tmp_path: Path) -> None:
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path}/cache</cachedir>"
        "</fontconfig>",
        encoding="utf-8",
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FONTCONFIG_FILE=str(conf))
    done = run_pad(env, tmp_path)
    assert done.returncode == 4, done.stderr
    assert "no font with Chinese characters" in done.stderr
    assert "sudo apt install fonts-noto-cjk" in done.stderr


@pytest.mark.gui
def test_an_installed_chinese_font_passes(qtbot) -> None:
    from ime.app import font_sample
    from ime.preflight import check_font
    from ime.qt import QFontDatabase

    if not QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        pytest.skip("no Chinese font installed (apt install fonts-wqy-microhei)")
    assert check_font(font_sample()) is None
    assert len(font_sample()) > 100
