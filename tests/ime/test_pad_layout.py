"""The window's layout (issue 23): a notice moves nothing, the side buttons share one width,
the pad size from Settings is the writing area's size."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ime.i18n import tr

pytestmark = pytest.mark.gui

LONG = {
    "en": "The settings file /home/someone/.config/xiezi/settings.json is corrupt; " * 3,
    "zh": "设置文件 /home/someone/.config/xiezi/settings.json 已损坏，现使用默认设置。" * 3,
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_notice_leaves_the_writing_box_where_it_is(qtbot, make_window, fake, lang) -> None:
    window = make_window(fake, language=lang)
    pad, box, size = window.pad.geometry(), window.pad.guide_rect(), window.size()
    for text in (LONG[lang], tr("clipboard_notice", lang), ""):
        window.set_notice(text)
        qtbot.wait(10)  # let a layout request, if any, run
        assert window.pad.geometry() == pad and window.pad.guide_rect() == box
        assert window.size() == size
        assert window.message.isVisible() is bool(text)
    window.set_notice(LONG[lang])
    label = window.message
    assert label.geometry().top() == 0 and label.width() == window.pad.width()
    assert label.height() == label.heightForWidth(label.width())  # the whole text shows
    centre = window.pad.guide_rect().center()
    assert abs(centre.x() - window.pad.width() / 2) <= 1
    assert abs(centre.y() - window.pad.height() / 2) <= 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_undo_clear_and_settings_are_equally_wide(make_window, fake, lang) -> None:
    window = make_window(fake, language=lang)
    widths = {b.width() for b in (window.undo_button, window.clear_button, window.settings_button)}
    assert len(widths) == 1
    assert widths.pop() >= window.settings_button.sizeHint().width()


@pytest.mark.parametrize("side", [200, 400, 600])
def test_the_pad_size_from_settings_is_the_writing_area(qtbot, make_window, fake, side) -> None:
    window = make_window(fake)
    width = window.width()
    window.apply_settings(replace(window.settings, pad_size=side))
    qtbot.waitUntil(lambda: window.pad.size().width() == side)
    assert window.pad.height() == side
    assert window.pad.guide_rect().width() == side - 4
    assert (window.width() > width) is (side > 240)
