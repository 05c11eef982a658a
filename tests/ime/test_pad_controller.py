"""Candidates after pen-up, stale results, commits, auto-commit, associations, quick keys."""

from __future__ import annotations

import threading

import pytest
from pad_drawing import CROSS, draw_stroke, write
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.support.fake_language import FakeLanguageModel
from tests.support.fake_recognizer import FakeRecognizer

pytestmark = pytest.mark.gui


def test_candidates_appear_after_pen_up_for_exactly_the_drawn_ink(qtbot, window, fake) -> None:
    with qtbot.waitSignal(window.bar.painted, timeout=5000):
        write(qtbot, window, CROSS)
    assert window.bar.kind == "candidates"
    assert window.bar.items() == FakeRecognizer.answer_for(2)
    ink = fake.inks[-1]
    assert [[(x, y) for x, y, _ in s.tolist()] for s in ink.strokes] == CROSS
    assert [s.tolist() for s in ink.strokes] == [list(map(list, s)) for s in window.pad.strokes()]


def test_a_stale_result_is_never_shown(qtbot, make_window) -> None:
    gate = threading.Event()
    slow = FakeRecognizer(gate)
    window = make_window(slow)
    shown: list[list[str]] = []
    window.controller.candidatesShown.connect(lambda kind: shown.append(window.bar.items()))
    draw_stroke(window.pad, CROSS[0])
    assert slow.started.wait(5)  # the engine is busy with the 1-stroke ink
    with qtbot.waitSignal(window.controller.candidatesShown, timeout=5000):
        draw_stroke(window.pad, CROSS[1])
        gate.set()
    assert window.controller.stale == 1
    assert shown == [FakeRecognizer.answer_for(2)]
    # A late answer for an old generation changes nothing either.
    window.controller.service.resultReady.emit(window.controller.generation - 1, [])
    assert window.bar.items() == FakeRecognizer.answer_for(2)


@pytest.mark.parametrize("how", ["click", "space button"])
def test_commit_reaches_the_inserter_then_associations_show(qtbot, window, recording, how) -> None:
    write(qtbot, window, CROSS)
    answer = FakeRecognizer.answer_for(2)
    index = {"click": 4, "space button": 0}[how]
    with qtbot.waitSignal(window.controller.committed, timeout=2000):
        if how == "click":
            cell = window.bar.cell_rect(index).center().toPoint()
            QTest.mouseClick(
                window.bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, cell
            )
        else:
            window.keys.buttons["space"].click()
    assert recording.committed == [answer[index]]
    assert window.pad.is_empty()
    expected = FakeLanguageModel().following(answer[index])
    assert expected and window.bar.kind == "associations" and window.bar.items() == expected
    # An association commits too, and offers what follows both.
    window.bar.choose(0)
    assert recording.committed == [answer[index], expected[0]]
    assert window.bar.items() == FakeLanguageModel().following(answer[index] + expected[0])


def test_undo_and_clear_buttons_ask_again_or_empty_the_bar(qtbot, window, fake) -> None:
    write(qtbot, window, CROSS)
    with qtbot.waitSignal(window.controller.candidatesShown, timeout=5000):
        window.undo_button.click()
    assert window.bar.items() == FakeRecognizer.answer_for(1)
    assert len(fake.inks[-1].strokes) == 1
    window.clear_button.click()
    assert window.pad.is_empty() and window.bar.items() == []


def test_auto_commit_after_the_pause_commits_the_best_candidate(
    qtbot, make_window, recording, fake
) -> None:
    window = make_window(fake, auto_commit_ms=1)
    c = window.controller
    with qtbot.waitSignal(c.committed, timeout=5000):
        for stroke in CROSS:  # QTest events run without the event loop: no pause between
            draw_stroke(window.pad, stroke)
    best = FakeRecognizer.answer_for(2)[0]
    assert recording.committed == [best]
    assert window.pad.is_empty() and window.bar.kind != "candidates"
    assert len(fake.inks[-1].strokes) == 2  # one character of both strokes, not two


def test_a_stroke_before_the_pause_is_over_belongs_to_the_character(
    qtbot, make_window, recording, fake
) -> None:
    window = make_window(fake, auto_commit_ms=60_000)
    write(qtbot, window, CROSS[:1])
    assert window.controller.auto_commit.active
    write(qtbot, window, CROSS[1:])  # pen-down stopped the timer; pen-up restarted it
    assert recording.committed == [] and window.pad.stroke_count == 2
    assert window.controller.auto_commit.ms == 60_000


@pytest.mark.parametrize("undo", ["Undo button", "Backspace key"])
def test_ink_left_after_an_undo_auto_commits_after_the_same_pause(
    qtbot, make_window, recording, fake, undo
) -> None:
    """Issue 23: after an undo the remaining ink waited for ever."""
    window = make_window(fake, auto_commit_ms=60_000)
    write(qtbot, window, CROSS)
    c = window.controller
    c.auto_commit.stop()  # the pause after the second stroke is not what is measured here
    with qtbot.waitSignal(c.candidatesShown, timeout=5000):
        if undo == "Undo button":
            window.undo_button.click()
        else:
            window.keys.buttons["backspace"].click()
    assert window.pad.stroke_count == 1
    assert c.auto_commit.active and c.auto_commit.ms == c.commit_delay_ms() == 60_000
    write(qtbot, window, CROSS[1:])
    c.auto_commit.stop()
    c.fixed_ms = 1  # the same rule with a short pause: what is left after the undo commits
    with qtbot.waitSignal(c.committed, timeout=5000):
        window.undo_button.click()
    assert recording.committed == [FakeRecognizer.answer_for(1)[0]]
    assert window.pad.is_empty()


def test_auto_commit_waits_for_an_answer_still_on_its_way(qtbot, make_window, recording) -> None:
    gate = threading.Event()
    slow = FakeRecognizer(gate)
    window = make_window(slow, auto_commit_ms=1)
    with qtbot.waitSignal(window.controller.auto_commit.timeout, timeout=5000):
        draw_stroke(window.pad, CROSS[0])
    assert recording.committed == [] and window.pad.is_empty()
    with qtbot.waitSignal(window.controller.committed, timeout=5000):
        gate.set()
    best = FakeRecognizer.answer_for(1)[0]
    assert recording.committed == [best]
    assert window.bar.kind == "associations"
    assert window.bar.items() == FakeLanguageModel().following(best)


def test_learned_pause_follows_the_writer_and_backspace_lengthens_it(
    qtbot, make_window, recording, fake
) -> None:
    from ime.pauses import PauseConfig, PauseModel, stroke_pauses

    window = make_window(fake)
    c = window.controller
    c.pauses = PauseModel(PauseConfig(min_samples=1), pauses=[400.0] * 20)
    c.set_auto_commit("learn", 0)
    assert c.commit_delay_ms() == round(1.5 * 400 + 300)
    # A committed character teaches its own pauses.
    write(qtbot, window, CROSS)
    [pause] = stroke_pauses(window.pad.strokes())
    window.bar.choose(0)
    assert c.pauses.pauses == [400] * 20 + [round(pause)]
    # An auto-commit taken back with Backspace: that pause was inside a character.
    c.pauses = PauseModel(PauseConfig(min_samples=1), pauses=[0.0] * 20)
    before = c.commit_delay_ms()
    with qtbot.waitSignal(c.committed, timeout=5000):
        write(qtbot, window, CROSS)
    window.keys.buttons["backspace"].click()
    assert c.commit_delay_ms() > 1.4 * before
    assert recording.events[-1] == ("key", "BackSpace")  # it still deletes the character


def test_no_auto_commit_when_switched_off(qtbot, window, recording) -> None:
    assert not window.controller.auto_commit.enabled
    write(qtbot, window, CROSS)
    write(qtbot, window, CROSS[:1])
    assert recording.committed == [] and window.pad.stroke_count == 3


def test_quick_keys_write_a_sentence(qtbot, window, recording) -> None:
    write(qtbot, window, CROSS)
    window.keys.buttons["。"].click()  # commits the pending character first
    window.keys.buttons["space"].click()
    window.keys.buttons["backspace"].click()
    window.keys.buttons["enter"].click()
    best = FakeRecognizer.answer_for(2)[0]
    assert recording.events == [
        ("text", best),
        ("text", "。"),
        ("key", "space"),
        ("key", "BackSpace"),
        ("key", "Return"),
    ]
    assert recording.text == best + "。\n"


def test_backspace_with_ink_undoes_a_stroke_instead(qtbot, window, recording) -> None:
    write(qtbot, window, CROSS)
    window.keys.buttons["backspace"].click()
    assert window.pad.stroke_count == 1 and recording.events == []


def test_a_failing_inserter_gives_one_message(qtbot, window, recording) -> None:
    recording.succeed = False
    write(qtbot, window, CROSS)
    window.bar.choose(0)
    assert not window.message.isHidden()
    assert "Could not type" in window.message.text()


def test_keys_do_nothing_and_a_click_on_an_empty_cell_neither(qtbot, window, recording) -> None:
    """The pad never has the keyboard focus, so it handles no keys (issue 15): keys sent to it
    anyway (a test can) change nothing."""
    write(qtbot, window, CROSS)
    for key in (Qt.Key.Key_1, Qt.Key.Key_Space, Qt.Key.Key_Escape):
        QTest.keyClick(window, key)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert recording.events == [] and window.pad.stroke_count == 2
    window.clear_button.click()
    QTest.mouseClick(
        window.bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5)
    )
    assert recording.events == []
