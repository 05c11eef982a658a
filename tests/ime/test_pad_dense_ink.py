"""The product path: a character written into the pad as 1-px mouse moves, read by the
bundled model (the pad's own dense whole-pixel ink once broke the model; issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pad_drawing import draw_stroke, pixel_path

from ime.app import model_factory

MODEL = Path(__file__).resolve().parents[2] / "resources" / "model" / "xiezi-gb1.xiezi"
pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(not MODEL.is_file(), reason="no bundled model in this checkout"),
]


@pytest.mark.parametrize("char", ["中", "我", "永"])
def test_a_character_written_pixel_by_pixel_is_read_first(qtbot, make_window, char) -> None:
    from trainer.data.templates import load_templates

    window = make_window(None)
    service = window.controller.service
    with qtbot.waitSignal(service.modelReady, timeout=30_000):
        service.load(model_factory(None))
    side = min(window.pad.width(), window.pad.height())
    strokes = [pixel_path(20 + s * (side - 40)) for s in load_templates().strokes(char)]
    assert sum(map(len, strokes)) > 300  # dense: a point every pixel
    for stroke in strokes:
        draw_stroke(window.pad, stroke, delay_ms=0)
    assert sum(map(len, window.pad.strokes())) >= 0.9 * sum(map(len, strokes))  # all recorded
    # the candidates of the whole character (the pad recognizes after every stroke)
    assert service.wait(10_000)
    qtbot.waitUntil(lambda: window.bar.items()[:1] == [char], timeout=10_000)
