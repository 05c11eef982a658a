"""The stroke-template and charset resources, read through trainer.data.templates."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.data.errors import DataError, MissingTemplateError
from trainer.data.templates import load_charset, load_templates


def test_charset_is_gb2312_level1_in_code_order() -> None:
    cs = load_charset()
    assert len(cs) == 3755 and len(set(cs)) == 3755
    assert cs[:3] == "啊阿埃" and cs[-1] == "座"
    codes = [c.encode("gb2312") for c in cs]
    assert codes == sorted(codes)
    assert all(0xB0 <= b[0] <= 0xD7 and 0xA1 <= b[1] <= 0xFE for b in codes)


def test_templates_cover_the_charset_and_more() -> None:
    t = load_templates()
    assert len(t) > 9000
    missing = [c for c in load_charset() if c not in t]
    assert missing == []
    assert load_templates() is t  # cached


def test_every_template_lies_in_the_unit_box() -> None:
    t = load_templates()
    lo, hi = np.inf, -np.inf
    for c in t.chars:
        strokes = t.strokes(c)
        assert strokes and all(
            s.dtype == np.float32 and s.ndim == 2 and len(s) >= 1 and s.shape[1] == 2
            for s in strokes
        ), c
        pts = np.concatenate(strokes)
        lo, hi = min(lo, float(pts.min())), max(hi, float(pts.max()))
    assert 0.0 <= lo < 0.05 and 0.95 < hi <= 1.0


def test_orientation_is_y_down() -> None:
    t = load_templates()
    (yi,) = t.strokes("一")
    assert np.ptp(yi[:, 0]) > 5 * np.ptp(yi[:, 1])  # horizontal
    (gun,) = t.strokes("丨")
    assert np.ptp(gun[:, 1]) > 5 * np.ptp(gun[:, 0])  # vertical
    assert gun[0, 1] < gun[-1, 1]  # written downwards: y grows
    san = t.strokes("三")
    assert len(san) == 3 and san[0][:, 1].mean() < san[2][:, 1].mean()  # first stroke on top
    assert len(t.strokes("永")) == 5 and len(t.strokes("国")) == 8


def test_missing_template_names_the_character() -> None:
    t = load_templates()
    assert "A" not in t
    with pytest.raises(MissingTemplateError, match="U\\+0041") as e:
        t.strokes("A")
    assert isinstance(e.value, KeyError) and isinstance(e.value, DataError)


def test_unknown_charset_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="unknown charset 'nope'.*gb2312_level1"):
        load_charset("nope")
    with pytest.raises(DataError, match="unknown charset"):
        load_charset("../templates/LICENSE")


def test_bad_templates_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="bad.npz"):
        load_templates(bad)
