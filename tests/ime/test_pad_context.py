"""The pad reads what it typed as text (issue 24): the context each request carries, when it
is forgotten, Backspace, 联想 over the whole context, and the pad without a language model."""

from __future__ import annotations

import logging
import threading

import pytest
from pad_drawing import CROSS, draw_stroke, write

from ime.associations import Associations
from ime.context import CONTEXT_CHARS, FORGET_MS, TypedText
from tests.support.fake_language import FOLLOWERS, FakeLanguageModel
from tests.support.fake_recognizer import FakeRecognizer

pytestmark = pytest.mark.gui

#: One stroke reads 申…, two strokes 甲…; 中 is the 9th candidate of two strokes.
ONE, TWO = FakeRecognizer.answer_for(1), FakeRecognizer.answer_for(2)


def pick(qtbot, window, char: str) -> None:
    """Commit char from the bar, as a click on its cell does."""
    with qtbot.waitSignal(window.controller.committed, timeout=2000):
        assert window.bar.choose(window.bar.items().index(char))


def test_every_request_carries_the_text_committed_before(qtbot, window, fake, recording) -> None:
    write(qtbot, window, CROSS)
    assert fake.contexts == ["", ""]  # the start of a text: "", never None
    pick(qtbot, window, "中")
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中"
    pick(qtbot, window, "申")
    window.keys.buttons["，"].click()
    window.keys.buttons["space"].click()
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中申， "
    window.keys.buttons["enter"].click()  # commits 申 first, then the newline
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中申， 申\n"
    assert recording.text == "中申， 申\n"


def test_the_first_candidate_follows_the_context(qtbot, make_window, recording) -> None:
    fake = FakeRecognizer(follow={"中": "国"})
    window = make_window(fake)
    write(qtbot, window, CROSS)
    assert window.bar.items()[0] == TWO[0]
    pick(qtbot, window, "中")
    write(qtbot, window, CROSS)
    assert window.bar.items()[0] == "国"
    window.keys.buttons["space"].click()  # the space key takes the first candidate
    assert recording.committed == ["中", "国"]


def test_only_the_last_characters_are_passed(qtbot, window, fake) -> None:
    text = "一二三四五六七八九十" * 3
    for ch in text:
        window.controller.commit(ch)
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == text[-CONTEXT_CHARS:]


def test_backspace_takes_back_the_last_character(qtbot, window, fake, recording) -> None:
    write(qtbot, window, CROSS)
    pick(qtbot, window, "中")
    write(qtbot, window, CROSS)
    pick(qtbot, window, "甲")
    window.keys.buttons["backspace"].click()
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中"
    window.keys.buttons["backspace"].click()  # with ink on the pad: undoes the stroke only
    assert window.pad.is_empty() and recording.events[-1] == ("key", "BackSpace")
    window.keys.buttons["backspace"].click()
    window.keys.buttons["backspace"].click()  # more than was typed: the context stays empty
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == ""


def test_an_auto_commit_taken_back_leaves_the_context(qtbot, make_window, fake, recording) -> None:
    window = make_window(fake, auto_commit_ms=200)
    c = window.controller
    c.commit("中")
    with qtbot.waitSignal(c.committed, timeout=5000):
        for stroke in CROSS:
            draw_stroke(window.pad, stroke)
    assert recording.committed == ["中", TWO[0]] and c.typed.text == "中" + TWO[0]
    window.keys.buttons["backspace"].click()
    assert c.typed.text == "中"
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中"


def test_the_context_is_forgotten_after_a_long_pause(qtbot, window, fake) -> None:
    c = window.controller
    assert c.forget_after.ms == FORGET_MS
    write(qtbot, window, CROSS)
    pick(qtbot, window, "中")
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中"
    # The pause runs out with ink on the pad: the ink is asked again, with no context.
    c.forget_after.ms = 0
    with qtbot.waitSignal(
        c.candidatesShown, timeout=5000, check_params_cb=lambda kind: kind == "candidates"
    ):
        c.forget_after.start()
    assert c.typed.text == "" and fake.contexts[-1] == ""
    assert len(fake.inks[-1].strokes) == 1
    # Writing and committing keep it (the delay restarts): at 60 s it has not fired.
    c.forget_after.ms = FORGET_MS
    pick(qtbot, window, ONE[0])
    assert c.forget_after.active and c.typed.text == ONE[0]


def test_the_context_is_forgotten_when_another_window_has_the_focus(qtbot, window, fake) -> None:
    c = window.controller
    focus: list[int | None] = [0x400001]
    c.target = lambda: focus[0]
    write(qtbot, window, CROSS)
    pick(qtbot, window, "中")
    focus[0] = None  # the platform cannot tell for a moment: nothing is forgotten
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中"
    pick(qtbot, window, "申")
    focus[0] = 0x400001
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "中申"
    window.clear_button.click()
    focus[0] = 0x500002  # the user clicked into another application
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "" and c.typed.target == 0x500002
    pick(qtbot, window, "申")
    write(qtbot, window, CROSS[:1])
    assert fake.contexts[-1] == "申"


def test_a_commit_into_another_window_starts_a_new_text(qtbot, window) -> None:
    c = window.controller
    focus = [1]
    c.target = lambda: focus[0]
    c.commit("中")
    focus[0] = 2
    c.commit("国")
    assert c.typed.text == "国"
    assert window.bar.items() == FakeLanguageModel().following("国")


def test_ink_asked_with_an_older_context_is_asked_again(qtbot, make_window, recording) -> None:
    """An auto-commit whose answer comes late (here: held back) changes the context under the
    next character already on the pad: its stale answer is discarded, it is asked again."""
    gate = threading.Event()
    fake = FakeRecognizer(gate, follow={ONE[0]: "白"})
    window = make_window(fake, auto_commit_ms=1)
    c = window.controller
    with qtbot.waitSignal(c.auto_commit.timeout, timeout=5000):
        draw_stroke(window.pad, CROSS[0])
    assert window.pad.is_empty() and recording.committed == []
    c.set_auto_commit("off", 0)
    draw_stroke(window.pad, CROSS[0])  # the next character, asked while the first is pending
    with qtbot.waitSignal(
        c.candidatesShown, timeout=5000, check_params_cb=lambda kind: kind == "candidates"
    ):
        gate.set()
    assert recording.committed == [ONE[0]]
    assert fake.contexts == ["", "", ONE[0]]
    assert c.stale == 1 and window.bar.items()[0] == "白"


def test_associations_follow_the_whole_context(qtbot, window) -> None:
    lm = FakeLanguageModel()
    window.controller.associations = Associations(lm)
    write(qtbot, window, CROSS)
    pick(qtbot, window, "中")
    assert window.bar.kind == "associations"
    assert window.bar.items() == list(FOLLOWERS["中"])
    pick(qtbot, window, "国")  # a 联想 pick is committed and read as text too
    assert window.bar.items() == list(FOLLOWERS["中国"])
    assert lm.asked == ["中", "中国"]


class _Missing(Exception):
    pass


def _no_model() -> FakeLanguageModel:
    raise _Missing("resources/lm/lm.npz is missing: reinstall Xiezi")


def test_the_pad_works_without_a_language_model(
    qtbot, make_window, fake, recording, caplog
) -> None:
    from ime.qt import QApplication

    window = make_window(fake)
    c = window.controller
    c.associations = Associations.lazy(_no_model)
    caplog.set_level(logging.WARNING, logger="ime")
    for _ in range(2):
        c.service.run(c.associations.load)
    assert c.service.wait(5000)
    QApplication.processEvents()
    warnings = [r for r in caplog.records if "lm.npz" in r.getMessage()]
    assert len(warnings) == 1 and not c.associations.ready
    write(qtbot, window, CROSS)
    pick(qtbot, window, "中")
    write(qtbot, window, CROSS)
    pick(qtbot, window, "甲")
    assert recording.committed == ["中", "甲"] and window.bar.items() == []
    assert fake.contexts[-1] == "中"


def test_associations_never_wait_for_a_model_still_loading(qtbot, window, recording) -> None:
    gate = threading.Event()
    model = FakeLanguageModel(gate)
    c = window.controller
    c.associations = Associations.lazy(lambda: model)
    c.service.run(c.associations.load)  # blocks the worker until the gate opens
    c.commit("中")
    assert recording.committed == ["中"] and window.bar.items() == []
    gate.set()
    assert c.service.wait(5000) and c.associations.ready
    c.commit("国")
    assert window.bar.items() == list(FOLLOWERS["中国"])


def test_typed_text_keeps_the_last_characters_and_follows_one_window() -> None:
    t = TypedText(keep=3)
    t.add("一二")
    assert not t.follow(None) and t.target is None
    assert not t.follow(7) and t.text == "一二"  # first known window: nothing to forget
    t.add("三四")
    assert t.text == "二三四"
    t.backspace()
    assert t.text == "二三"
    assert not t.follow(None) and not t.follow(7) and t.text == "二三"
    assert t.follow(8) and t.text == "" and t.target == 8
    with pytest.raises(ValueError, match="keep"):
        TypedText(keep=0)
