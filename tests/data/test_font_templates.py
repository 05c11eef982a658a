"""resources/fonts/wenkai.npz: the medians registered onto LXGW WenKai's glyphs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from trainer.data.templates import Templates, load_charset, load_templates

ROOT = Path(__file__).resolve().parents[2]
FONT_NPZ = ROOT / "resources" / "fonts" / "wenkai.npz"


def _regenerate():
    """resources/fonts/regenerate.py as a module (needs the `resources` extra: scipy)."""
    pytest.importorskip("scipy", reason="pip install -e '.[resources]' to test the font fit")
    spec = importlib.util.spec_from_file_location(
        "fonts_regenerate", ROOT / "resources" / "fonts" / "regenerate.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def font() -> Templates:
    return Templates(FONT_NPZ)


@pytest.fixture(scope="module")
def med() -> Templates:
    return load_templates()


def test_layout_matches_the_medians() -> None:
    with (
        np.load(FONT_NPZ, allow_pickle=False) as z,
        np.load(ROOT / "resources/templates/medians.npz") as m,
    ):
        assert set(z.files) == set(m.files)
        for k in ("codepoints", "stroke_offsets", "point_offsets", "points"):
            assert z[k].dtype == m[k].dtype and z[k].ndim == m[k].ndim, k
        assert (np.diff(z["codepoints"].astype(np.int64)) > 0).all()
        assert z["stroke_offsets"][-1] == len(z["point_offsets"]) - 1
        assert z["point_offsets"][-1] == len(z["points"])
        n = np.diff(z["point_offsets"])
        assert n.min() >= 2 and n.max() <= 12  # 2..12 points per stroke
        assert "lxgw-wenkai" in str(z["version"])


def test_level1_characters_with_the_medians_stroke_count(font: Templates, med: Templates) -> None:
    assert len(font) >= 3000  # of the 3,755 level-1 characters
    assert set(font.chars) <= set(load_charset("gb2312_level1"))
    bad = [c for c in font.chars if len(font.strokes(c)) != len(med.strokes(c))]
    assert bad == []


def test_points_lie_in_the_unit_box(font: Templates) -> None:
    pts = np.concatenate([s for c in font.chars for s in font.strokes(c)])
    assert pts.min() >= 0.0 and pts.max() <= 1.0
    assert abs(float(np.median(pts[:, 0])) - 0.5) < 0.08
    assert abs(float(np.median(pts[:, 1])) - 0.5) < 0.08


@pytest.mark.parametrize("char", "十口中人大木永我")
def test_strokes_start_and_end_near_the_medians(font: Templates, med: Templates, char: str) -> None:
    a_all, b_all = font.strokes(char), med.strokes(char)
    assert len(a_all) == len(b_all)
    for i, (a, b) in enumerate(zip(a_all, b_all)):
        # the font has its own proportions (its 人 is narrower): within 0.2 of the em box
        assert np.linalg.norm(a[0] - b[0]) < 0.2, (char, i, "start")
        assert np.linalg.norm(a[-1] - b[-1]) < 0.2, (char, i, "end")
        # order and direction kept: each stroke is nearer its own median than any other one
        d_own = np.linalg.norm(a[0] - b[0]) + np.linalg.norm(a[-1] - b[-1])
        for j, c in enumerate(b_all):
            if j != i and np.linalg.norm(c[0] - b[0]) + np.linalg.norm(c[-1] - b[-1]) > 0.15:
                assert d_own < np.linalg.norm(a[0] - c[0]) + np.linalg.norm(a[-1] - c[-1]), (
                    char,
                    i,
                    j,
                )
    if char == "十":  # y down: the horizontal first, then the vertical downwards
        s = font.strokes(char)
        assert abs(s[0][0, 1] - s[0][-1, 1]) < 0.1 and s[1][-1, 1] > s[1][0, 1] + 0.5


def test_strokes_are_not_much_shorter_or_longer_than_the_medians(
    font: Templates, med: Templates
) -> None:
    for c in font.chars[::37]:
        for a, b in zip(font.strokes(c), med.strokes(c)):
            la = np.linalg.norm(np.diff(a, axis=0), axis=1).sum()
            lb = np.linalg.norm(np.diff(b, axis=0), axis=1).sum()
            if lb > 0.1:
                assert 0.55 < la / lb < 1.8, c


def test_fit_recovers_a_shifted_stroke() -> None:
    """The per-stroke fit pulls a median drawn 4 px beside a bar of ink onto the bar."""
    mod = _regenerate()
    ink = np.zeros((64, 64), bool)
    ink[30:35, 10:54] = True  # a horizontal bar, centre line y = 32.5
    field = mod.Field(ink)
    stroke = mod.resample(np.array([[14.0, 28.5], [50.0, 28.5]]), mod.K)[None]
    fitted = mod.lm_fit(field, stroke, mod.SIGMA_T, mod.SIGMA_M)
    assert abs(float(fitted[0, :, 1].mean()) - 32.5) < 1.0
    assert fitted[0, -1, 0] > fitted[0, 0, 0] + 25  # direction kept, length about kept
