"""A screenshot of the pad with ink and candidates, for a person to look at.

``XIEZI_SAVE_SCREENSHOT=1 pytest tests/ime/test_pad_screenshot.py`` writes docs/pad.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pad_drawing import draw_stroke

from tests.support.fake_recognizer import ANSWER, FakeRecognizer

pytestmark = pytest.mark.gui

DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "pad.png"

#: 中, written in four strokes (pad pixels of a 240 px pad).
ZHONG = [
    [(70, 80), (70, 110), (71, 140), (72, 158)],
    [(70, 80), (120, 78), (170, 80), (168, 110), (166, 150)],
    [(72, 155), (120, 153), (165, 152)],
    [(119, 40), (120, 100), (121, 160), (120, 215)],
]


class ZhongFirst(FakeRecognizer):
    @staticmethod
    def answer_for(num_strokes: int) -> list[str]:
        return list(ANSWER)


def test_screenshot_of_pad_with_ink_and_candidates(qtbot, make_window, tmp_path) -> None:
    window = make_window(ZhongFirst(), language="zh")
    window.resize(420, 460)
    c = window.controller
    # Centre the character in the pad, scaled from the 240 px drawing above.
    r = window.pad.guide_rect()
    k = r.width() / 240
    with qtbot.waitSignal(
        c.candidatesShown, timeout=5000, check_params_cb=lambda kind: kind == "candidates"
    ):
        for stroke in ZHONG:
            draw_stroke(
                window.pad, [(round(r.x() + k * x), round(r.y() + k * y)) for x, y in stroke]
            )
    with qtbot.waitSignal(window.bar.painted, timeout=5000):
        window.bar.update()
    image = window.grab().toImage()
    out = tmp_path / "pad.png"
    assert image.save(str(out))
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 10  # ink, grid, candidates: not a blank window
    if os.environ.get("XIEZI_SAVE_SCREENSHOT"):
        DOCS_PNG.parent.mkdir(exist_ok=True)
        assert image.save(str(DOCS_PNG))
