"""The app: a model that cannot load gives one message; the real Recognizer on a tiny model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pad_drawing import CROSS, draw_stroke

from ime.app import create, main, model_factory
from tests.support.pad_process import LM, pad_args, run_python


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A tiny model package (LSTM 6->8, FC 8->8->C), built with the engine tests' builder."""
    pytest.importorskip("onnx")
    from tests.support.engine_fixtures import CHARSET, build_package

    path = tmp_path_factory.mktemp("model") / "tiny.xiezi"
    build_package(path)
    return path, CHARSET


@pytest.mark.gui
@pytest.mark.parametrize("kind", ["missing", "garbage"])
def test_bad_model_opens_the_pad_with_one_clear_message(qtbot, tmp_path: Path, kind) -> None:
    missing = tmp_path / "nope.xiezi"
    if kind == "garbage":
        missing.write_bytes(b"not a zip archive at all")
    _app, window, _args = create(pad_args(tmp_path / "s.json", missing))
    qtbot.addWidget(window)
    service = window.controller.service
    with qtbot.waitSignal(service.modelFailed, timeout=10_000):
        window.show()
    text = window.message.text()
    assert not window.message.isHidden()
    assert str(missing) in text and "--model" in text
    assert text.count("\n") == 1  # why, then how to fix: one message
    # Writing still works and says the same, without a traceback.
    with qtbot.waitSignal(service.failed, timeout=5000):
        draw_stroke(window.pad, CROSS[0])
    assert window.pad.stroke_count == 1 and window.message.text() == text
    service.wait(5000)


@pytest.mark.gui
def test_real_recognizer_on_a_tiny_model(qtbot, make_window, tiny_model) -> None:
    path, charset = tiny_model
    window = make_window(None)
    service = window.controller.service
    with qtbot.waitSignal(service.modelReady, timeout=20_000):
        service.load(model_factory(path))
    assert window.message.isHidden()
    with qtbot.waitSignal(window.controller.candidatesShown, timeout=10_000):
        for stroke in CROSS:
            draw_stroke(window.pad, stroke)
    items = window.bar.items()
    assert len(items) == 10 and len(set(items)) == 10 and set(items) <= set(charset)


def test_help_and_bad_arguments_return_a_code(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "The pad takes no keys" in out
    assert main(["--insert", "telepathy"]) == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["ime.app", "engine", "trainer"])
def test_help_shows_no_markup(module: str) -> None:
    """Issue 15: --help printed reStructuredText (``python -m engine``)."""
    if module == "trainer":
        pytest.importorskip("torch")
    done = run_python(["-m", module, "--help"], {**os.environ, "QT_QPA_PLATFORM": "offscreen"}, 120)
    assert done.returncode == 0, done.stderr
    assert "``" not in done.stdout and ":func:" not in done.stdout


@pytest.mark.gui
def test_the_app_loads_the_language_model_for_associations_on_the_worker(
    qtbot, tmp_path: Path, tiny_model
) -> None:
    """Issue 24: 联想 come from the bundled language model, read after the first paint on the
    recognition worker, never on the GUI thread; once read, a commit offers its followers."""
    import threading

    from engine.language import LanguageModel
    from ime.associations import Associations

    if not LM.is_file():
        pytest.skip("no bundled language model in this checkout")
    path, _ = tiny_model
    _app, window, _ = create(pad_args(tmp_path / "s.json", path))
    qtbot.addWidget(window)
    c = window.controller
    threads: list[threading.Thread] = []

    class Spy(Associations):
        def load(self) -> bool:
            threads.append(threading.current_thread())
            return super().load()

    c.associations = Spy.lazy()
    with qtbot.waitSignal(c.service.modelReady, timeout=20_000):
        window.show()
    assert c.service.wait(20_000) and c.associations.ready
    assert threads and threads[0] is not threading.main_thread()
    c.commit("中")
    assert window.bar.kind == "associations"
    assert window.bar.items() == LanguageModel.default().following("中")


@pytest.mark.gui
def test_closing_the_window_without_a_tray_icon_quits(qtbot, tmp_path: Path) -> None:
    """Issue 15: a Tool window does not count for Qt's quit-on-last-window-closed."""
    _app, window, _ = create(pad_args(tmp_path / "s.json", tmp_path / "none.xiezi"))
    qtbot.addWidget(window)
    window.show()
    assert window.tray is None
    with qtbot.waitSignal(window.quitting, timeout=5000):
        window.close()
    assert not window.isVisible()


def test_the_pad_process_ends_when_its_window_closes(tmp_path: Path) -> None:
    args = pad_args(tmp_path / "s.json", tmp_path / "none.xiezi", tray=True)
    code = (
        "import sys\n"
        "from ime.app import create\n"
        "from ime.qt import QTimer\n"
        f"app, w, _ = create({args!r})\n"
        "w.show(); QTimer.singleShot(300, w.close); QTimer.singleShot(20000, lambda: app.exit(7))\n"
        "sys.exit(app.exec())\n"
    )
    done = run_python(["-c", code], {**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr  # 7: still running 20 s after the close


def test_the_pad_never_imports_torch() -> None:
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import ime.app, ime.window, ime.controller, ime.recognition, engine.recognizer\n"
        "bad = [m for m in ('torch', 'trainer') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.gui
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_insert_clipboard_says_on_the_pad_where_each_character_went(
    qtbot, tmp_path: Path, lang
) -> None:
    """Issue 23: with --insert clipboard nothing on the pad said the character went there."""
    from ime.i18n import tr
    from ime.qt import QApplication

    settings = tmp_path / "s.json"
    settings.write_text(f'{{"language": "{lang}"}}', encoding="utf-8")
    _app, window, _args = create(pad_args(settings, tmp_path / "none.xiezi"))
    qtbot.addWidget(window)
    service = window.controller.service
    with qtbot.waitSignal(service.modelFailed, timeout=10_000):
        window.show()
    window.controller._on_model_ready()  # the model's message gone: the notice shows again
    assert window.message.isVisible()
    assert window.message.text() == tr("clipboard_notice", lang)
    window.status_delay.ms = 50
    window.controller.commit("中")
    assert QApplication.clipboard().text() == "中"
    assert window.message.isVisible()
    assert window.message.text() == tr("on_clipboard", lang, text="中")
    qtbot.waitUntil(lambda: not window.message.isVisible(), timeout=2000)  # brief
    window.controller.commit("文")
    assert window.message.text() == tr("on_clipboard", lang, text="文")
    service.wait(5000)
