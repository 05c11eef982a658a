"""Fixtures for the pad's tests: offscreen Qt, a recording recognizer, a window to draw on."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

ANSWER = "中申甲由电田日曰白目"


@dataclass(frozen=True)
class FakeCandidate:
    char: str
    prob: float


class FakeRecognizer:
    """Deterministic stand-in for engine.recognizer.Recognizer that records the inks it got.

    The answer is ANSWER rotated by the ink's stroke count, so a test can tell which ink a
    shown result belongs to. ``gate``: when set, each call waits for it (to hold a result back).
    """

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.inks: list[Any] = []
        self.gate = gate
        self.started = threading.Event()

    @staticmethod
    def answer_for(num_strokes: int) -> list[str]:
        k = num_strokes % len(ANSWER)
        return list(ANSWER[k:] + ANSWER[:k])

    def recognize(self, ink: Any, n: int = 10) -> Sequence[FakeCandidate]:
        self.inks.append(ink)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        chars = self.answer_for(len(ink.strokes))[:n]
        return [FakeCandidate(c, 1.0 / (i + 1)) for i, c in enumerate(chars)]


@pytest.fixture
def fake() -> FakeRecognizer:
    return FakeRecognizer()


@pytest.fixture
def recording():
    from ime.insert import RecordingInserter

    return RecordingInserter()


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.json"


@pytest.fixture
def make_window(qtbot, recording, settings_path):  # noqa: ANN001, ANN201
    """make_window(recognizer, auto_commit_ms=0) -> a shown MainWindow (auto-commit off)."""
    from ime.associations import Associations
    from ime.recognition import RecognitionService
    from ime.settings import Settings
    from ime.window import MainWindow

    made = []

    def make(recognizer: Any, auto_commit_ms: int = 0, language: str = "en") -> MainWindow:
        settings = Settings(auto_commit_ms=auto_commit_ms, pad_size=240, language=language)
        service = RecognitionService(recognizer)
        w = MainWindow(settings, service, recording, Associations.load(),
                       settings_path=settings_path, tray=False)
        w.save_delay.ms = 0
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w.controller.service.wait(5000)


@pytest.fixture
def window(make_window, fake):  # noqa: ANN001, ANN201
    return make_window(fake)
