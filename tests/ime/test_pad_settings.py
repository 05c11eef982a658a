"""Settings: JSON round trip, atomic writes, corrupt files, the dialog, the remembered place."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from special_files import snapshot

from ime.settings import (
    ENV_PATH,
    Settings,
    SettingsRead,
    default_path,
    describe_read,
    load_settings,
    read_settings,
    read_settings_file,
    save_settings,
)
from tests.support.pad_process import pad_args


def test_round_trip(tmp_path: Path) -> None:
    s = Settings(
        insert_mode="clipboard",
        auto_commit="fixed",
        auto_commit_ms=450,
        pad_size=360,
        ink_colour="#0055aa",
        language="en",
        geometry=[10, 20, 400, 520],
        pauses_ms=[300, 420],
    )
    path = save_settings(s, tmp_path / "sub" / "settings.json")
    assert load_settings(path) == s
    assert json.loads(path.read_text(encoding="utf-8"))["auto_commit_ms"] == 450
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary left


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.json") == Settings()


@pytest.mark.parametrize("text", ["{not json", '{"a": 1', "\ufeff{", "\x00"])
def test_corrupt_file_falls_back_to_defaults_and_is_kept(tmp_path: Path, caplog, text) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ime.settings"):
        assert load_settings(path) == Settings()
    assert "corrupt" in caplog.text
    assert (tmp_path / "settings.json.bak").read_text(encoding="utf-8") == text
    assert not path.exists()


def test_out_of_range_values_are_clamped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        '{"auto_commit_ms": -5, "pad_size": 5, "language": "fr", '
        '"ink_colour": "red", "geometry": [1, 2], "unknown": 1}',
        encoding="utf-8",
    )
    s, problems = read_settings(path)
    assert (s.auto_commit_ms, s.pad_size, s.language, s.ink_colour, s.geometry) == (
        100,
        120,
        "auto",
        "#202020",
        None,
    )
    assert len(problems) == 5 and (tmp_path / "s.json.bak").exists()


def test_old_files_keep_auto_commit_off(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"auto_commit_ms": 0}', encoding="utf-8")
    s, problems = read_settings(path)
    assert s.auto_commit == "off" and problems == ["auto_commit_ms: 0 is outside 100..10000"]
    path.write_text('{"auto_commit_ms": 800}', encoding="utf-8")  # the old default: now learned
    assert load_settings(path).auto_commit == "learn"


def test_code_passing_a_bad_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="pad_size"):
        Settings(pad_size=10**9)


def test_env_var_overrides_the_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_PATH, str(tmp_path / "x.json"))
    assert default_path() == tmp_path / "x.json"


@pytest.mark.gui
def test_dialog_edits_settings_and_window_applies_them(window, settings_path) -> None:
    from ime.settings_dialog import SettingsDialog

    d = SettingsDialog(
        window.settings, ["auto", "clipboard"], lambda mode, lang: f"chain of {mode} in {lang}"
    )
    assert d.chain.text() == "chain of auto in en"
    d.mode.setCurrentIndex(1)
    assert d.mode_value() == "clipboard" and d.chain.text() == "chain of clipboard in en"
    assert not d.delay.isEnabled()
    d.auto_commit.setCurrentIndex(1)  # fixed
    assert d.delay.isEnabled()
    d.delay.setValue(300)
    d.pad_size.setValue(300)
    d.colour.setText("#aa0000")
    d.language.setCurrentIndex(1)  # zh
    new = d.result_settings()
    assert (
        new.insert_mode,
        new.auto_commit,
        new.auto_commit_ms,
        new.pad_size,
        new.ink_colour,
        new.language,
    ) == ("clipboard", "fixed", 300, 300, "#aa0000", "zh")
    window.apply_settings(new)
    assert window.controller.commit_delay_ms() == 300 and window.controller.auto_commit.enabled
    assert window.undo_button.text() == "撤销"
    assert load_settings(settings_path).auto_commit_ms == 300
    d.auto_commit.setCurrentIndex(2)  # off
    window.apply_settings(d.result_settings())
    assert not window.controller.auto_commit.enabled


@pytest.mark.gui
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dialog_speaks_one_language_qt_buttons_included(window, lang) -> None:
    from ime.insert import MODES, describe_chain
    from ime.qt import QDialogButtonBox
    from ime.settings_dialog import SettingsDialog

    s = Settings(language=lang)
    d = SettingsDialog(s, list(MODES), lambda m, lang: describe_chain(m, {}, lang))
    texts = [d.windowTitle(), d.chain.text()]
    texts += [d.mode.itemText(i) for i in range(d.mode.count())]
    texts += [d.auto_commit.itemText(i) for i in range(d.auto_commit.count())]
    texts += [b.text() for b in d.buttons.buttons()]
    from ime.qt import QLabel

    texts += [w.text() for w in d.findChildren(QLabel)]
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok).text()
    if lang == "zh":
        assert ok == "确定"
        # Every visible text has Chinese in it, except names (X11, Ctrl+V, macOS) and numbers.
        for t in texts:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in t), t
    else:
        assert ok == "OK"
        assert not any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t), texts


@pytest.mark.gui
def test_language_auto_follows_the_system_locale(monkeypatch) -> None:
    from ime.i18n import resolve_language
    from ime.qt import QLocale

    old = QLocale()
    try:
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
        monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale()))
        assert resolve_language("auto") == "zh"
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
        assert resolve_language("auto") == "en"
        assert resolve_language("zh") == "zh"
    finally:
        QLocale.setDefault(old)


@pytest.mark.gui
def test_qt_own_texts_follow_the_language(qtbot) -> None:
    from ime.i18n import install_qt_translator
    from ime.qt import QCoreApplication

    try:
        assert install_qt_translator("zh")
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        install_qt_translator("en")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


@pytest.mark.gui
def test_window_remembers_its_place(qtbot, make_window, fake, settings_path) -> None:
    w = make_window(fake)
    with qtbot.waitSignal(w.save_delay.timeout, timeout=2000):
        w.setGeometry(120, 140, 420, 560)
    saved = load_settings(settings_path).geometry
    assert saved is not None and saved[2:] == [420, 560]
    w2 = make_window(fake, settings=load_settings(settings_path))  # the next start
    g = w2.geometry()
    assert [g.x(), g.y(), g.width(), g.height()] == saved


@pytest.mark.gui
def test_window_flags_never_take_the_focus(window) -> None:
    from ime.qt import Qt

    flags = window.windowFlags()
    assert flags & Qt.WindowType.WindowDoesNotAcceptFocus
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert window.pad.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert all(b.focusPolicy() == Qt.FocusPolicy.NoFocus for b in window.keys.buttons.values())


@pytest.mark.gui
def test_settings_button_shows_the_real_insertion_chain(window, monkeypatch) -> None:
    from ime.settings_dialog import SettingsDialog

    seen = {}

    def fake_exec(self: SettingsDialog) -> int:  # the modal loop, answered at once
        seen["modes"] = [self.mode.itemData(i) for i in range(self.mode.count())]
        seen["chain"] = self.chain.text()
        self.delay.setValue(1234)
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", fake_exec)
    window.settings_button.click()
    assert seen["modes"][0] == "auto" and "clipboard" in seen["modes"]
    assert "clipboard" in seen["chain"]
    assert window.settings.auto_commit_ms == 1234


# ---------------------------------------------------------------- issue 22: links, notices
def test_a_symlinked_file_is_read_and_written_through_its_link(tmp_path: Path) -> None:
    """Dotfiles kept as links: the target is read and replaced, the link stays a link."""
    (tmp_path / "dotfiles").mkdir()
    target = tmp_path / "dotfiles" / "xiezi.json"
    target.write_text('{"pad_size": 300}', encoding="utf-8")
    link = tmp_path / "settings.json"
    link.symlink_to(target)
    assert load_settings(link).pad_size == 300
    save_settings(Settings(pad_size=400), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text(encoding="utf-8"))["pad_size"] == 400
    assert sorted(os.listdir(tmp_path)) == ["dotfiles", "settings.json"]


@pytest.mark.parametrize("content", [b"{corrupt", b'{"pad_size": 1e400}'])
def test_a_symlinked_bad_file_is_kept_beside_its_target(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "dotfiles").mkdir()
    target = tmp_path / "dotfiles" / "xiezi.json"
    target.write_bytes(content)
    link = tmp_path / "settings.json"
    link.symlink_to(target)
    r = read_settings_file(link)
    assert r.backup == tmp_path / "dotfiles" / "xiezi.json.bak" and r.keep_out is None
    assert r.backup.read_bytes() == content and link.is_symlink()
    assert target.exists() == (r.outcome == "fixed")  # corrupt: moved; bad values: copied
    save_settings(r.settings, link)  # the next save fills the target again, through the link
    assert link.is_symlink() and load_settings(link) == r.settings


def test_a_dangling_link_gives_defaults_and_a_save_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "settings.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    assert read_settings_file(link).outcome == "missing"
    save_settings(Settings(pad_size=300), link)
    assert link.is_symlink() and load_settings(tmp_path / "elsewhere.json").pad_size == 300


READS = {
    "fixed": SettingsRead(
        Settings(),
        Path("/c/s.json"),
        "fixed",
        ["pad_size: 5 is outside"],
        backup=Path("/c/s.json.bak"),
    ),
    "corrupt": SettingsRead(
        Settings(), Path("/c/s.json"), "corrupt", ["corrupt (x)"], backup=Path("/c/s.json.bak")
    ),
    "not kept": SettingsRead(
        Settings(),
        Path("/c/s.json"),
        "corrupt",
        ["corrupt (x)"],
        error="Read-only file system",
        keep_out="no",
    ),
    "unreadable": SettingsRead(
        Settings(),
        Path("/c/s.json"),
        "unreadable",
        ["cannot read"],
        error="Permission denied",
        keep_out="no",
    ),
    "fifo": SettingsRead(
        Settings(), Path("/c/s.json"), "not_regular", ["fifo"], kind="fifo", keep_out="no"
    ),
}


@pytest.mark.parametrize("name", list(READS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_notice_says_what_happened_in_one_language(name: str, lang: str) -> None:
    r = READS[name]
    text = describe_read(r, lang)
    assert str(r.path) in text or str(r.backup) in text
    assert "{" not in text and "file_kind" not in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text) == (lang == "zh")
    if lang == "en":
        kept = "kept as" in text or "moved to" in text
        assert kept == (r.backup is not None)
        assert ("will not" in text) == (r.keep_out is not None)
    assert describe_read(SettingsRead(Settings(), r.path, "missing"), lang) == ""


def _start(tmp_path: Path, path: Path):  # type: ignore[no-untyped-def]
    from ime.app import create

    _app, window, _ = create(pad_args(path, tmp_path / "none.xiezi"))
    return window


@pytest.mark.gui
def test_the_pad_never_saves_over_a_fifo_and_says_so(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    before = snapshot(tmp_path)
    window = _start(tmp_path, path)
    qtbot.addWidget(window)
    window.show()
    assert str(path) in window._notice and "not a regular file" in window._notice
    window.save_geometry()  # quietly refused (logged once)
    window.apply_settings(Settings(pad_size=300, language="en"))
    assert window._notice.startswith("Settings not saved.") and str(path) in window._notice
    assert snapshot(tmp_path) == before
    window.controller.service.wait(5000)


@pytest.mark.gui
def test_the_pad_never_saves_over_a_file_it_could_not_read(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"pad_size": 300, "language": "zh"}', encoding="utf-8")
    before = snapshot(tmp_path)
    real_open = os.open

    def denied(p, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(p) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(p, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, "open", denied)
        window = _start(tmp_path, path)
    qtbot.addWidget(window)
    window.show()
    assert "Cannot read the settings file" in window._notice and str(path) in window._notice
    window.apply_settings(Settings(pad_size=400, language="en"))
    window.save_geometry()
    assert "not saved" in window._notice
    assert snapshot(tmp_path) == before  # the user's settings are still there
    window.controller.service.wait(5000)


@pytest.mark.gui
def test_a_fifo_put_in_place_later_is_not_replaced_either(window, settings_path: Path) -> None:
    settings_path.unlink(missing_ok=True)
    os.mkfifo(settings_path)
    before = snapshot(settings_path.parent)
    window.apply_settings(Settings(pad_size=300, language="en"))
    assert "not a regular file" in window._notice and "not saved" in window._notice
    assert snapshot(settings_path.parent) == before
