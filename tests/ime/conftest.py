"""Fixtures for the pad's tests: offscreen Qt, a recording recognizer, a window to draw on, and
private X servers (Xvfb) for the tests that need a real one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

from tests.support.fake_recognizer import FakeRecognizer
from tests.support.recording_inserter import RecordingInserter
from tests.support.xharness import Xvfb, XvfbUnavailable


@pytest.fixture
def fake() -> FakeRecognizer:
    return FakeRecognizer()


@pytest.fixture
def recording():
    return RecordingInserter()


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.json"


@pytest.fixture
def make_window(qtbot, recording, settings_path):
    """make_window(recognizer, auto_commit_ms=0, ...) -> a shown MainWindow; auto_commit_ms > 0
    commits after that fixed pause (0: auto-commit off). No X focus handling; 联想 from
    tests.support.fake_language.FakeLanguageModel."""
    from ime.associations import Associations
    from ime.insert.focus import FocusKeeper
    from ime.recognition import RecognitionService
    from ime.settings import Settings
    from ime.window import MainWindow
    from tests.support.fake_language import FakeLanguageModel

    made = []

    def make(
        recognizer: Any,
        auto_commit_ms: int = 0,
        language: str = "en",
        settings: Settings | None = None,
    ) -> MainWindow:
        if settings is None:
            settings = Settings(
                auto_commit="fixed" if auto_commit_ms else "off", pad_size=240, language=language
            )
        service = RecognitionService(recognizer)
        w = MainWindow(
            settings,
            service,
            recording,
            Associations(FakeLanguageModel()),
            settings_path=settings_path,
            tray=False,
            focus=FocusKeeper(environ={}),
        )
        w.save_delay.ms = 0
        if auto_commit_ms:
            w.controller.fixed_ms = auto_commit_ms
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w.controller.service.wait(5000)


@pytest.fixture
def window(make_window, fake):
    return make_window(fake)


@pytest.fixture(scope="module")
def new_xvfb() -> Iterator[Callable[[], Xvfb]]:
    """new_xvfb() -> a private X server, closed once the module's tests are done; where none
    can start, the test that asked for it is skipped."""
    servers: list[Xvfb] = []

    def new() -> Xvfb:
        try:
            servers.append(Xvfb())
        except XvfbUnavailable as e:
            pytest.skip(f"no X server can start here: {e}")
        return servers[-1]

    yield new
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def xvfb(new_xvfb) -> Xvfb:
    """One X server for the module's tests."""
    return new_xvfb()
