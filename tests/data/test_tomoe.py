"""resources/tomoe/tomoe.npz (Tomoe key-point templates) and its order/direction check."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from trainer.data.templates import Templates, load_charset, load_templates

ROOT = Path(__file__).resolve().parents[2]
TOMOE = ROOT / "resources" / "tomoe" / "tomoe.npz"


def _regenerate():
    spec = importlib.util.spec_from_file_location(
        "tomoe_regenerate", ROOT / "resources" / "tomoe" / "regenerate.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tomoe() -> Templates:
    return Templates(TOMOE)


def test_layout_matches_the_medians() -> None:
    medians = ROOT / "resources/templates/medians.npz"
    with np.load(TOMOE, allow_pickle=False) as z, np.load(medians) as m:
        assert set(z.files) == set(m.files)
        for k in ("codepoints", "stroke_offsets", "point_offsets", "points"):
            assert z[k].dtype == m[k].dtype and z[k].ndim == m[k].ndim, k
        cps = z["codepoints"]
        assert (np.diff(cps.astype(np.int64)) > 0).all()
        assert z["stroke_offsets"][-1] == len(z["point_offsets"]) - 1
        assert z["point_offsets"][-1] == len(z["points"])
        assert (np.diff(z["point_offsets"]) >= 2).all()  # every stroke has at least 2 points
        assert "tegaki-zinnia-japanese" in str(z["version"])


def test_characters_are_level1_with_the_medians_stroke_count(tomoe: Templates) -> None:
    # 1,654 of the 2,370 level-1 characters Tomoe has pass the order/direction check
    assert len(tomoe) >= 1600
    level1 = set(load_charset("gb2312_level1"))
    assert set(tomoe.chars) <= level1
    med = load_templates()
    bad = [c for c in tomoe.chars if len(tomoe.strokes(c)) != len(med.strokes(c))]
    assert bad == []


def test_points_lie_in_the_unit_box(tomoe: Templates) -> None:
    pts = np.concatenate([s for c in tomoe.chars for s in tomoe.strokes(c)])
    assert pts.min() >= 0.0 and pts.max() <= 1.0
    # centred on the em box like the medians (y down, about 0.49 across)
    assert abs(float(np.median(pts[:, 0])) - 0.5) < 0.08
    assert abs(float(np.median(pts[:, 1])) - 0.5) < 0.08


@pytest.mark.parametrize("char", "十口中人大")
def test_strokes_start_and_end_near_the_medians(tomoe: Templates, char: str) -> None:
    med = load_templates().strokes(char)
    strokes = tomoe.strokes(char)
    assert len(strokes) == len(med)
    for i, (a, b) in enumerate(zip(strokes, med, strict=True)):
        assert np.linalg.norm(a[0] - b[0]) < 0.2, (char, i, "start")
        assert np.linalg.norm(a[-1] - b[-1]) < 0.2, (char, i, "end")
    # y points down: the first stroke of 十 is the horizontal, above the bottom of the vertical
    if char == "十":
        assert abs(strokes[0][0, 1] - strokes[0][-1, 1]) < 0.1
        assert strokes[1][-1, 1] > strokes[1][0, 1] + 0.5


def test_japanese_stroke_orders_are_not_kept(tomoe: Templates) -> None:
    # Tomoe writes these in Japanese order or shape (右: ノ before 一; 必; 王, 田, 耳, 生 ...)
    for c in "必右王田耳生上":
        assert c not in tomoe, c


# The order/direction check on made-up strokes (unit box, y down).
KOU = [  # 口: left vertical, top+right (横折), bottom
    np.array([[0.2, 0.2], [0.2, 0.8]]),
    np.array([[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]]),
    np.array([[0.2, 0.8], [0.8, 0.8]]),
]
SAN = [np.array([[0.3, y], [0.7, y]]) for y in (0.2, 0.5)] + [  # 三
    np.array([[0.1, 0.85], [0.9, 0.85]])
]


def _jitter(strokes, d=0.02):
    return [s + d for s in strokes]


def test_check_order_accepts_the_same_strokes() -> None:
    check = _regenerate().check_order
    assert check(_jitter(KOU), KOU)[0]
    assert check([s * 1000 for s in SAN], SAN)[0]  # units do not matter: each is box-normalised


def test_check_order_rejects_swapped_strokes() -> None:
    check = _regenerate().check_order
    ok, why, _ = check([KOU[1], KOU[0], KOU[2]], KOU)
    assert not ok
    ok, why, _ = check([SAN[1], SAN[0], SAN[2]], SAN)  # two similar, parallel strokes
    assert not ok and "order" in why


def test_check_order_rejects_reversed_strokes() -> None:
    check = _regenerate().check_order
    ok, why, _ = check([KOU[0][::-1], KOU[1], KOU[2]], KOU)
    assert not ok and "direction" in why
    dot = [
        np.array([[0.45, 0.1], [0.5, 0.15]]),
        np.array([[0.1, 0.5], [0.9, 0.5]]),
        np.array([[0.5, 0.2], [0.5, 0.9]]),
    ]
    ok, why, _ = check([dot[0][::-1], dot[1], dot[2]], dot)  # a short stroke drawn backwards
    assert not ok and "reversed" in why


def test_check_order_rejects_other_stroke_count_and_far_strokes() -> None:
    check = _regenerate().check_order
    assert not check(KOU[:2], KOU)[0]
    far = [KOU[0], KOU[1], np.array([[0.2, 0.5], [0.8, 0.5]])]  # bottom drawn in the middle
    ok, _why, worst = check(far, KOU)
    assert not ok and worst > 0.35
