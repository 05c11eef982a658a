"""Candidates after pen-up, stale results, commits, auto-commit, associations, quick keys."""

from __future__ import annotations

import threading

import pytest
from pad_drawing import CROSS, draw_stroke
from pad_fakes import FakeRecognizer
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from ime.associations import Associations

pytestmark = pytest.mark.gui


def write(qtbot, window, strokes) -> None:
    """Draw strokes and wait until the candidates for the last one are shown."""
    for stroke in strokes:
        with qtbot.waitSignal(window.controller.candidatesShown, timeout=5000,
                              check_params_cb=lambda kind: kind == "candidates"):
            draw_stroke(window.pad, stroke)


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


@pytest.mark.parametrize("how", ["click", "digit", "space"])
def test_commit_reaches_the_inserter_then_associations_show(qtbot, window, recording, how) -> None:
    write(qtbot, window, CROSS)
    answer = FakeRecognizer.answer_for(2)
    index = {"click": 4, "digit": 2, "space": 0}[how]
    with qtbot.waitSignal(window.controller.committed, timeout=2000):
        if how == "click":
            cell = window.bar.cell_rect(index).center().toPoint()
            QTest.mouseClick(window.bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             cell)
        elif how == "digit":
            QTest.keyClick(window, Qt.Key.Key_3)
        else:
            QTest.keyClick(window, Qt.Key.Key_Space)
    assert recording.committed == [answer[index]]
    assert window.pad.is_empty()
    expected = Associations.load().following(answer[index])
    assert expected and window.bar.kind == "associations" and window.bar.items() == expected
    # An association commits too, and offers the next ones.
    window.bar.choose(0)
    assert recording.committed == [answer[index], expected[0]]
    assert window.bar.items() == Associations.load().following(expected[0])


def test_undo_and_clear_buttons_ask_again_or_empty_the_bar(qtbot, window, fake) -> None:
    write(qtbot, window, CROSS)
    with qtbot.waitSignal(window.controller.candidatesShown, timeout=5000):
        window.undo_button.click()
    assert window.bar.items() == FakeRecognizer.answer_for(1)
    assert len(fake.inks[-1].strokes) == 1
    window.clear_button.click()
    assert window.pad.is_empty() and window.bar.items() == []


def test_auto_commit_when_writing_resumes_after_the_pause(
    qtbot, make_window, recording, fake
) -> None:
    window = make_window(fake, auto_commit_ms=1)
    c = window.controller
    with qtbot.waitSignals([c.auto_commit.timeout, c.candidatesShown], timeout=5000):
        for stroke in CROSS:  # QTest events run without the event loop: no pause between
            draw_stroke(window.pad, stroke)
    assert recording.committed == []
    best = FakeRecognizer.answer_for(2)[0]
    write(qtbot, window, [CROSS[0]])  # the next character begins
    assert recording.committed == [best]
    assert [[(x, y) for x, y, _ in s] for s in window.pad.strokes()] == [CROSS[0]]
    assert window.pad.strokes()[0][0][2] == 0  # a new ink: its time starts again
    assert len(fake.inks[-1].strokes) == 1
    assert window.bar.items() == FakeRecognizer.answer_for(1)


def test_auto_commit_waits_for_an_answer_still_on_its_way(qtbot, make_window, recording) -> None:
    gate = threading.Event()
    slow = FakeRecognizer(gate)
    window = make_window(slow, auto_commit_ms=1)
    with qtbot.waitSignal(window.controller.auto_commit.timeout, timeout=5000):
        draw_stroke(window.pad, CROSS[0])
    draw_stroke(window.pad, CROSS[1])  # new character before the engine answered
    assert recording.committed == []
    with qtbot.waitSignal(window.controller.committed, timeout=5000):
        gate.set()
    assert recording.committed == [FakeRecognizer.answer_for(1)[0]]
    assert window.pad.stroke_count == 1


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
    assert recording.events == [("text", best), ("text", "。"), ("key", "space"),
                                ("key", "BackSpace"), ("key", "Return")]
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


def test_digit_for_an_empty_cell_does_nothing(qtbot, window, recording) -> None:
    QTest.keyClick(window, Qt.Key.Key_5)
    QTest.mouseClick(window.bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(5, 5))
    assert recording.events == []
