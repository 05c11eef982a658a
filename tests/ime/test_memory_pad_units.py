"""The pad's side of the user's memory (issue 28), with stand-ins: what the controller hands
the memory on a pick, a take-back and typed text; the store's words, saves and paths."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pad_drawing import CROSS, draw_stroke

from ime.memory_store import ENV_MEMORY, MemoryStore, memory_path
from ime.settings import ENV_PATH, Settings
from tests.support.fake_recognizer import FakeRecognizer

SHA = "ab" * 32


class Reading:
    def __init__(self, candidates: list[Any], embedding: np.ndarray) -> None:
        self.candidates, self.embedding = candidates, embedding


class FakeReader(FakeRecognizer):
    """FakeRecognizer with the engine's read(): the embedding is the stroke count, repeated,
    and the memory each read was given is recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.memories: list[object] = []

    def read(self, ink: Any, n: int = 10, context: str | None = None, memory: Any = None):
        self.memories.append(memory)
        candidates = list(self.recognize(ink, n, context))
        return Reading(candidates, np.full(4, float(len(ink.strokes)), np.float32))


class RecordingMemory:
    """What the controller calls on the memory, recorded."""

    def __init__(self) -> None:
        self.picks: list[tuple[Any, str, int]] = []
        self.events: list[tuple[str, str]] = []

    def pick(self, reading: Any, char: str, rank: int) -> None:
        self.picks.append((reading, char, rank))

    def typed(self, text: str) -> None:
        self.events.append(("typed", text))

    def backspace(self) -> None:
        self.events.append(("backspace", ""))

    def end_words(self) -> None:
        self.events.append(("end", ""))


def remembering(make_window, auto_commit_ms: int = 0) -> tuple[FakeReader, Any, RecordingMemory]:
    """A pad reading with a FakeReader, what its controller tells the memory recorded."""
    reader = FakeReader()
    window = make_window(reader, auto_commit_ms=auto_commit_ms)
    window.controller.memory = memory = RecordingMemory()
    return reader, window, memory


def auto_commit(qtbot, window, strokes: list[list[tuple[int, int]]]) -> None:
    """Draw strokes and wait for the auto-commit that follows them."""
    with qtbot.waitSignal(window.controller.committed, timeout=5000):
        for s in strokes:
            draw_stroke(window.pad, s, delay_ms=0)


def write(qtbot, window, strokes: list[list[tuple[int, int]]]) -> list[str]:
    c = window.controller
    with qtbot.waitSignal(c.candidatesShown, timeout=5000):
        for s in strokes:
            draw_stroke(window.pad, s, delay_ms=0)
    qtbot.waitUntil(lambda: c.best() is not None, timeout=5000)
    return window.bar.items()


@pytest.mark.gui
def test_a_pick_hands_the_memory_its_ink_embedding_and_rank(qtbot, make_window) -> None:
    _, window, memory = remembering(make_window)
    shown = write(qtbot, window, CROSS)
    window.bar.choose(2)
    assert len(memory.picks) == 1
    reading, char, rank = memory.picks[0]
    assert (char, rank) == (shown[2], 2)
    assert len(reading.ink.strokes) == 2 and reading.embedding.tolist() == [2.0] * 4
    # An association (联想) chosen is no pick of a recognized ink, but typed text.
    assert window.bar.kind == "associations"
    follower = window.bar.items()[0]
    window.bar.choose(0)
    window.keys.buttons["space"].click()
    assert len(memory.picks) == 1
    assert memory.events == [("typed", shown[2]), ("typed", follower), ("typed", " ")]
    # The first candidate by Space: a pick at rank 0 (the engine decides what to keep).
    first = write(qtbot, window, CROSS[:1])
    window.keys.buttons["space"].click()
    assert [(ch, r) for _, ch, r in memory.picks[1:]] == [(first[0], 0)]


@pytest.mark.gui
def test_a_taken_back_auto_commit_rewritten_and_picked_teaches_both_inks(
    qtbot, make_window, recording
) -> None:
    reader, window, memory = remembering(make_window, auto_commit_ms=1)
    c = window.controller
    auto_commit(qtbot, window, CROSS)
    auto = recording.committed[-1]
    window.keys.buttons["backspace"].click()  # takes the auto-commit back
    assert recording.keys == ["BackSpace"]
    c.set_auto_commit("off", 1000)  # the user picks this time
    shown = write(qtbot, window, [*CROSS, CROSS[0]])  # rewritten (a third stroke)
    want = reader.answer_for(2)[3]  # a candidate of both inks, below the first of each
    window.bar.choose(shown.index(want))
    got = [(len(r.ink.strokes), ch, rank) for r, ch, rank in memory.picks]
    assert got == [(3, want, shown.index(want)), (2, want, 3)]
    assert memory.events[:2] == [("typed", auto), ("backspace", "")]
    # The next pick has no take-back to teach.
    write(qtbot, window, CROSS)
    window.bar.choose(1)
    assert len(memory.picks) == 3


@pytest.mark.gui
def test_an_auto_commit_the_user_goes_on_from_stands_as_a_rank_0_pick(
    qtbot, make_window, recording
) -> None:
    reader, window, memory = remembering(make_window, auto_commit_ms=1)
    for strokes in (CROSS, CROSS[:1]):
        auto_commit(qtbot, window, strokes)
    assert recording.committed == [reader.answer_for(2)[0], reader.answer_for(1)[0]]
    # The first stands (the user wrote on); the second is still open to a take-back.
    assert [(len(r.ink.strokes), ch, k) for r, ch, k in memory.picks] == [
        (2, recording.committed[0], 0)
    ]
    window.keys.buttons["enter"].click()  # going on: the second stands too
    assert [(len(r.ink.strokes), k) for r, _, k in memory.picks] == [(2, 0), (1, 0)]
    auto_commit(qtbot, window, CROSS[:1])
    window.keys.buttons["backspace"].click()  # taken back: it does not stand
    window.keys.buttons["enter"].click()
    assert len(memory.picks) == 2


@pytest.mark.gui
def test_each_read_is_given_the_memory_the_store_has_open(qtbot, make_window) -> None:
    reader = FakeReader()
    window = make_window(reader)
    token = object()
    window.controller.service.memory = lambda: token
    write(qtbot, window, CROSS)
    assert reader.memories[-1] is token
    window.controller.service.memory = lambda: None
    write(qtbot, window, CROSS[:1])
    assert reader.memories[-1] is None


def sync_store(path: Path, told: list[str], enabled: bool = True) -> MemoryStore:
    """A store whose work runs at once (no worker) with an open, empty engine memory."""
    from engine.memory import UserMemory

    store = MemoryStore(path, lambda fn, done: done(fn()), told.append, enabled=enabled)
    store._memory, store.state = UserMemory(SHA), "ready"
    return store


def test_words_are_learned_a_run_at_a_time_without_what_backspace_took_back(
    tmp_path: Path,
) -> None:
    told: list[str] = []
    store = sync_store(tmp_path / "m.npz", told)
    for text in ["中", "国", "人"]:
        store.typed(text)
    store.backspace()
    assert not (tmp_path / "m.npz").exists()  # nothing learned before the run ends
    store.end_words()
    words = store._memory.words.to_dict()  # type: ignore[union-attr]
    assert set(words["chars"]) == {"中", "国"} and set(words["pairs"]) == {"中国"}
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o600 and told == []


def test_a_long_run_keeps_its_pairs_and_a_new_text_pairs_with_nothing_before(
    tmp_path: Path, monkeypatch
) -> None:
    import ime.memory_store

    monkeypatch.setattr(ime.memory_store, "WORDS_BATCH", 2)
    store = sync_store(tmp_path / "m.npz", [])
    for text in "人民日报":  # learned two at a time: 人民, then 日报 after 民
        store.typed(text)
    store.end_words()  # another window: what comes next is a text of its own
    store.typed("中")
    store.end_words()
    pairs = set(store._memory.words.to_dict()["pairs"])  # type: ignore[union-attr]
    assert pairs == {"人民", "民日", "日报"}


def test_a_memory_that_cannot_be_saved_says_so_once(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    told: list[str] = []
    store = sync_store(blocker / "m.npz", told)
    for text in ["中国 ", "人民 "]:
        store.typed(text)
        store.end_words()
    assert len(told) == 1 and "cannot write" in told[0] and str(blocker / "m.npz") in told[0]


def test_off_learns_reads_and_writes_nothing(tmp_path: Path) -> None:
    told: list[str] = []
    store = sync_store(tmp_path / "m.npz", told)
    store.set_enabled(False)
    assert store.active() is None and store.state == "off" and store._memory is None
    store.typed("中国")
    store.end_words()
    store.pick(Reading([], np.ones(4, np.float32)), "中", 1)  # type: ignore[arg-type]
    store.flush()
    assert list(tmp_path.iterdir()) == [] and told == []


def test_where_the_memory_is_kept(tmp_path: Path, monkeypatch) -> None:
    for name in (ENV_MEMORY, ENV_PATH, "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert memory_path() == tmp_path / ".local" / "share" / "xiezi" / "memory.npz"
    # A settings file of its own (--settings or $XIEZI_SETTINGS): a profile, its memory beside.
    assert memory_path(tmp_path / "p" / "s.json") == tmp_path / "p" / "memory.npz"
    monkeypatch.setenv(ENV_PATH, str(tmp_path / "q" / "s.json"))
    assert memory_path() == tmp_path / "q" / "memory.npz"
    monkeypatch.setenv(ENV_MEMORY, str(tmp_path / "m.npz"))
    assert memory_path(tmp_path / "p" / "s.json") == tmp_path / "m.npz"


def test_the_setting_is_a_checked_boolean() -> None:
    s, problems = Settings.from_dict({"learn_handwriting": "yes"})
    assert s.learn_handwriting is True and problems == [
        "learn_handwriting: 'yes' is not true or false"
    ]
    s, problems = Settings.from_dict({"learn_handwriting": False})
    assert s.learn_handwriting is False and problems == []
    with pytest.raises(ValueError, match="learn_handwriting"):
        Settings(learn_handwriting=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("aside", [".damaged", ".old-model", None])
def test_the_engines_notice_is_said_in_the_pads_language(
    tmp_path: Path, lang: str, aside: str | None
) -> None:
    """Issue 23: the engine's English goes to the log; the pad names the file kept aside."""
    import re

    store = MemoryStore(tmp_path / "memory.npz", lambda fn, done: None, language=lang)
    before = {suffix: None for suffix in (".damaged", ".old-model")}
    if aside is not None:
        (tmp_path / f"memory.npz{aside}").write_bytes(b"kept")
    text = store._describe_notice(before, inks=0 if aside else 12)
    words = re.sub(re.escape(str(tmp_path)) + r"\S*", "", text)
    if aside is not None:
        assert str(tmp_path / f"memory.npz{aside}") in text
    else:
        assert "12" in text
    has_latin = re.search(r"[A-Za-z]{3}", words) is not None
    assert has_latin == (lang == "en"), text
