"""The pad learns the user's hand (issue 28), with the bundled model, as ``xiezi`` builds it
(ime.app.create): a candidate picked below the first is first the next time the same ink is
written; the memory is a 0600 file in the test's folder; off learns, reads and writes nothing;
"forget everything" empties it; a damaged file is kept aside with a notice."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pad_drawing import write_template

from ime.app import create
from tests.support.pad_process import needs_model, pad_args

pytestmark = [pytest.mark.gui, pytest.mark.slow, needs_model]
#: A character whose template the bundled model reads with a clear first candidate.
CHAR = "中"


def start(qtbot, tmp_path: Path, recording, settings: dict | None = None):
    """The pad with its settings (and so its memory) in tmp_path, the model loaded and the
    memory opened (or not, when off)."""
    path = tmp_path / "settings.json"
    if settings is not None:
        path.write_text(json.dumps(settings), encoding="utf-8")
    _app, window, _ = create(pad_args(path))
    qtbot.addWidget(window)
    window.controller.inserter = recording
    window.controller.associations.load = lambda: False  # no 联想 needed here
    with qtbot.waitSignal(window.controller.service.modelReady, timeout=60_000):
        window.show()
    assert window.controller.service.wait(30_000)
    return window


def pick_second_and_write_again(qtbot, window) -> tuple[list[str], list[str]]:
    before = write_template(qtbot, window, CHAR)
    window.bar.choose(1)
    window.pad.clear()
    window.controller.typed.reset()  # the same context as the first time
    assert window.controller.service.wait(10_000)
    return before, write_template(qtbot, window, CHAR)


def test_a_candidate_picked_below_the_first_is_first_the_next_time(
    qtbot, tmp_path: Path, recording
) -> None:
    window = start(qtbot, tmp_path, recording)
    memory = window.memory
    assert memory is not None and memory.state == "ready" and memory.characters() == 0
    before, after = pick_second_and_write_again(qtbot, window)
    assert recording.committed == [before[1]]
    assert after[0] == before[1], (before, after)
    path = tmp_path / "memory.npz"
    assert memory.path == path and path.is_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert memory.characters() == 1
    # A second pad (the first one killed) reads it back: the pick is kept.
    from engine.memory import UserMemory
    from engine.recognizer import Recognizer

    again, notice = UserMemory.open(path, Recognizer.default().package.sha256)
    assert notice is None and len(again) == 1 and again.characters() == 1


def test_off_learns_reads_and_writes_nothing(qtbot, tmp_path: Path, recording) -> None:
    path = tmp_path / "memory.npz"
    path.write_bytes(b"not read while off")
    window = start(qtbot, tmp_path, recording, {"learn_handwriting": False})
    assert window.memory is not None and window.memory.state == "off"
    before, after = pick_second_and_write_again(qtbot, window)
    assert after[0] == before[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory.npz", "settings.json"]
    assert path.read_bytes() == b"not read while off"  # not moved aside: never opened


def test_forget_everything_empties_the_memory_and_its_file(
    qtbot, tmp_path: Path, recording, monkeypatch
) -> None:
    from ime.settings_dialog import SettingsDialog

    window = start(qtbot, tmp_path, recording)
    before, after = pick_second_and_write_again(qtbot, window)
    assert after[0] == before[1]
    dialog = SettingsDialog(window.settings, ["auto"], lambda m, lang: m, memory=window.memory)
    qtbot.addWidget(dialog)
    assert "Knows how you write 1 characters" in dialog.memory_state.text()
    assert str(tmp_path / "memory.npz") in dialog.memory_state.text()
    asked: list[bool] = []
    monkeypatch.setattr(dialog, "confirm_forget", lambda: asked.append(True) or False)
    dialog.forget.click()  # the user says no: nothing happens
    assert asked == [True] and window.memory.characters() == 1
    aside = tmp_path / "memory.npz.damaged"  # what an earlier damaged file left
    aside.write_bytes(b"old inks")
    monkeypatch.setattr(dialog, "confirm_forget", lambda: True)
    dialog.forget.click()
    qtbot.waitUntil(lambda: dialog.forget.isEnabled(), timeout=10_000)
    assert window.memory.characters() == 0
    assert "Knows how you write 0 characters" in dialog.memory_state.text()
    assert not (tmp_path / "memory.npz").exists() and not aside.exists()
    window.pad.clear()
    window.controller.typed.reset()
    assert write_template(qtbot, window, CHAR)[0] == before[0]


def test_turned_off_in_the_dialog_the_memory_is_no_longer_read(
    qtbot, tmp_path: Path, recording
) -> None:
    from dataclasses import replace

    window = start(qtbot, tmp_path, recording)
    before, after = pick_second_and_write_again(qtbot, window)
    assert after[0] == before[1]
    window.apply_settings(replace(window.settings, learn_handwriting=False))
    assert window.memory.state == "off"
    window.pad.clear()
    window.controller.typed.reset()
    assert write_template(qtbot, window, CHAR)[0] == before[0]
    assert json.loads((tmp_path / "settings.json").read_text())["learn_handwriting"] is False
    window.apply_settings(replace(window.settings, learn_handwriting=True))  # on again: read
    qtbot.waitUntil(lambda: window.memory.state == "ready", timeout=10_000)
    window.pad.clear()
    assert write_template(qtbot, window, CHAR)[0] == before[1]


def test_a_damaged_memory_is_kept_aside_and_the_pad_says_so(
    qtbot, tmp_path: Path, recording
) -> None:
    path = tmp_path / "memory.npz"
    path.write_bytes(b"PK\x03\x04 damaged")
    window = start(qtbot, tmp_path, recording)
    assert window.memory.state == "ready" and window.memory.characters() == 0
    aside = tmp_path / "memory.npz.damaged"
    assert aside.read_bytes() == b"PK\x03\x04 damaged" and not path.exists()
    qtbot.waitUntil(lambda: "damaged" in window.message.text(), timeout=5000)
    assert window.message.isVisible() and str(aside) in window.message.text()
    before, after = pick_second_and_write_again(qtbot, window)  # and it learns again
    assert after[0] == before[1] and path.is_file()


def test_a_model_without_embeddings_leaves_the_memory_off_and_says_why(
    qtbot, tmp_path: Path, recording
) -> None:
    pytest.importorskip("onnx")
    from ime.settings_dialog import SettingsDialog
    from tests.support.engine_fixtures import build_package

    model = tmp_path / "tiny.xiezi"
    build_package(model)
    settings = tmp_path / "settings.json"
    _app, window, _ = create(
        ["--no-tray", "--insert", "clipboard", "--settings", str(settings), "--model", str(model)]
    )
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.controller.service.modelReady, timeout=60_000):
        window.show()
    assert window.controller.service.wait(30_000)
    assert window.memory.state == "no_embedding" and window.memory.active() is None
    dialog = SettingsDialog(window.settings, ["auto"], lambda m, lang: m, memory=window.memory)
    qtbot.addWidget(dialog)
    assert "no embedding output" in dialog.memory_state.text()
    assert not (tmp_path / "memory.npz").exists()
