"""The bundled model on the real handwriting this project could obtain (tests/real_ink)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ink import read_jsonl
from engine.recognizer import Recognizer, RecognizerOptions

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not (ROOT / "resources" / "model" / "xiezi-gb1.xiezi").is_file(),
    reason="no bundled model in this checkout",
)


def test_bundled_model_reads_every_real_ink_first() -> None:
    rec = Recognizer(options=RecognizerOptions(threads=1))
    inks = [
        ink
        for path in sorted((ROOT / "tests" / "real_ink").glob("*.jsonl"))
        for ink in read_jsonl(path)
    ]
    assert inks, "tests/real_ink holds no ink"
    read = [(ink.label, rec.recognize(ink, 1)[0].char) for ink in inks]
    wrong = [(label, char) for label, char in read if char != label]
    assert not wrong, f"(label, read as): {wrong}"
