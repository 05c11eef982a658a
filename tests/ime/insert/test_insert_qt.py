"""The Qt pieces of ime.insert in the test process's (offscreen) QApplication."""

from __future__ import annotations

import threading

import pytest

from ime.insert.clipboard import QtClipboard, default_clipboard
from ime.insert.later import call_later

pytestmark = pytest.mark.gui


def test_qt_clipboard_round_trip_and_is_the_default_with_an_app(qapp) -> None:
    clip = default_clipboard({"PATH": ""})
    assert isinstance(clip, QtClipboard)
    assert clip.set_text("中文，你好")
    assert clip.get_text() == "中文，你好"


def test_call_later_runs_on_the_gui_thread_through_the_event_loop(qapp, qtbot) -> None:
    ran: list[threading.Thread] = []
    call_later(0, lambda: ran.append(threading.current_thread()))
    assert ran == []  # a QTimer: nothing happens before the event loop turns
    qtbot.waitUntil(lambda: bool(ran), timeout=5000)
    assert ran == [threading.main_thread()]


def test_call_later_off_the_gui_thread_uses_a_thread_timer(qapp) -> None:
    done = threading.Event()
    worker = threading.Thread(target=lambda: call_later(0, done.set))
    worker.start()
    worker.join()
    assert done.wait(5)


def test_a_failing_deferred_call_is_logged_not_raised(qapp, qtbot, caplog) -> None:
    def boom() -> None:
        raise RuntimeError("restore failed")

    call_later(0, boom)
    qtbot.waitUntil(lambda: "restore failed" in caplog.text, timeout=5000)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "文字会放到剪贴板上，请用 Ctrl+V 粘贴。"),
        ("en", "The text goes to the clipboard: paste it with Ctrl+V."),
    ],
)
def test_the_pad_shows_the_clipboard_notice_in_its_language(
    qtbot, fake, settings_path, lang, expected
) -> None:
    from ime.associations import Associations
    from ime.insert import MemoryClipboard, choose_inserter
    from ime.insert.focus import FocusKeeper
    from ime.recognition import RecognitionService
    from ime.settings import Settings
    from ime.window import MainWindow

    chain = choose_inserter("clipboard", clipboard=MemoryClipboard())
    w = MainWindow(
        Settings(auto_commit="off", language=lang),
        RecognitionService(fake),
        chain,
        Associations(),
        settings_path=settings_path,
        tray=False,
        focus=FocusKeeper(environ={}),
    )
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.message.isVisible() and w.message.text() == expected
