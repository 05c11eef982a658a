"""The user's memory in the pad (issue 28): pen-up to candidates painted with a memory of N
inks, and what the worker spends on a pick (learn + save), on opening the file and on
re-embedding it after a model change.

Usage: ``QT_QPA_PLATFORM=offscreen python bench/bench_memory_pad.py [--inks 0 300 3000]
[--strokes 40]``. Needs the bundled model. The memory is filled with the embeddings of real
model runs over random inks (tests/support/engine_fixtures.sample_ink), one character each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def filled_memory(recognizer: Any, n: int) -> Any:
    """A UserMemory of n stored inks (one per character of the charset, cycling)."""
    from engine.memory import MemoryConfig, UserMemory
    from tests.support.engine_fixtures import sample_ink

    memory = UserMemory(recognizer.package.sha256, MemoryConfig())
    charset = recognizer.charset
    for i in range(n):
        ink = sample_ink(i, strokes=2 + i % 6)
        memory.learn(charset[i % len(charset)], recognizer.read(ink, 1).embedding, ink, rank=1)
    return memory


def pen_up_ms(recognizer: Any, memory: Any, strokes: int) -> list[float]:
    """Wall ms from each pen-up to the end of the candidate bar's paint, memory in use."""
    from bench_pad import TEXT, template_strokes
    from PySide6.QtCore import QEventLoop, QPoint, Qt
    from PySide6.QtTest import QTest

    from ime.associations import Associations
    from ime.qt import QApplication
    from ime.recognition import RecognitionService
    from ime.settings import Settings
    from ime.window import MainWindow
    from tests.support.recording_inserter import RecordingInserter

    app = QApplication.instance() or QApplication([])
    service = RecognitionService(recognizer)
    service.memory = lambda: memory
    folder = Path(tempfile.mkdtemp())
    window = MainWindow(
        Settings(auto_commit="off"),
        service,
        RecordingInserter(),
        Associations(),
        settings_path=folder / "s.json",
        tray=False,
    )
    window.show()
    loop, pad = QEventLoop(), window.pad
    state: dict[str, Any] = {"shown": False}
    window.controller.candidatesShown.connect(lambda kind: state.update(shown=True))
    window.bar.painted.connect(
        lambda: state["shown"] and (state.update(shown=False, t1=time.perf_counter()), loop.quit())
    )
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    times: list[float] = []
    chars = template_strokes(TEXT, min(pad.width(), pad.height()))
    while len(times) < strokes:
        for char in chars:
            pad.clear()
            for stroke in char[: strokes - len(times)]:
                QTest.mousePress(pad, left, none, QPoint(*stroke[0]), 8)
                for p in stroke[1:]:
                    QTest.mouseMove(pad, QPoint(*p), 8)
                t0 = time.perf_counter()
                QTest.mouseRelease(pad, left, none, QPoint(*stroke[-1]), 8)
                loop.exec()
                times.append(1000 * (state["t1"] - t0))
    service.wait(5000)
    window.close()
    app.processEvents()
    return times


def worker_ms(recognizer: Any, memory: Any) -> dict[str, float]:
    """A pick (learn + save), an open, and an open that re-embeds (another model's file)."""
    from engine.memory import UserMemory
    from ime.memory_store import embedder
    from tests.support.engine_fixtures import sample_ink

    path = Path(tempfile.mkdtemp()) / "memory.npz"
    ink = sample_ink(10**6)
    embedding = recognizer.read(ink, 1).embedding
    t0 = time.perf_counter()
    memory.learn(recognizer.charset[7], embedding, ink, rank=2)
    memory.save(path)
    t1 = time.perf_counter()
    UserMemory.open(path, memory.model_sha256, config=memory.config)
    t2 = time.perf_counter()
    UserMemory.open(path, "0" * 64, config=memory.config, embed=embedder(recognizer))
    t3 = time.perf_counter()
    return {
        "pick_ms": 1000 * (t1 - t0),
        "open_ms": 1000 * (t2 - t1),
        "reembed_ms": 1000 * (t3 - t2),
        "file_kb": path.stat().st_size / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inks", type=int, nargs="+", default=[0, 300, 3000])
    p.add_argument("--strokes", type=int, default=40)
    args = p.parse_args(argv)
    from engine.recognizer import Recognizer

    recognizer = Recognizer.default().load()
    print(
        "| stored inks | pen-up -> painted median / p90 (ms) | pick: learn+save (ms) | "
        "open (ms) | re-embed on a model change (ms) | file (KiB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n in args.inks:
        memory = filled_memory(recognizer, n)
        times = sorted(pen_up_ms(recognizer, memory, args.strokes))
        w = worker_ms(recognizer, memory)
        p90 = times[int(0.9 * (len(times) - 1))]
        print(
            f"| {n} | {statistics.median(times):.1f} / {p90:.1f} | {w['pick_ms']:.1f} | "
            f"{w['open_ms']:.1f} | {w['reembed_ms']:.0f} | {w['file_kb']:.0f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
