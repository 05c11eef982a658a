"""resources/fonts/*.npz: the medians registered onto the glyphs of open fonts (WenKai, Ma Shan
Zheng, Long Cang), and the fit that makes them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from trainer.data.templates import (
    SHAPE_SOURCES,
    Templates,
    load_charset,
    load_shapes,
    load_templates,
)

ROOT = Path(__file__).resolve().parents[2]
FONTS_DIR = ROOT / "resources" / "fonts"
#: Each font source, the words its npz's version names, and the least number of level-1
#: characters accepted (the counts of resources/fonts/README.md, less a margin).
FONT_SOURCES = {
    "wenkai": ("lxgw-wenkai", 3500),
    "mashanzheng": ("@fontsource/ma-shan-zheng", 3200),
    "longcang": ("@fontsource/long-cang", 2500),
}
#: How far (em) a stroke's ends may lie from its median's in the simple characters below.
REACH = {"wenkai": 0.2, "mashanzheng": 0.25, "longcang": 0.25}
#: Bounds of a stroke's length over its median's, both in the em box: the fit keeps every
#: stroke within 0.7..1.45 of the median put on the glyph, but a font's glyph can be much
#: narrower than the medians' (Ma Shan Zheng's 臭: the horizontals of its 自 are 0.34-0.44 of
#: the medians', rightly), so the running hands get wider bounds; a stroke collapsed onto a
#: dot is still caught.
LENGTHS = {"wenkai": (0.55, 1.8), "mashanzheng": (0.3, 2.0), "longcang": (0.3, 2.0)}


def _regenerate(name: str = "regenerate"):
    """resources/fonts/<name>.py as a module (needs the `resources` extra: scipy)."""
    pytest.importorskip("scipy", reason="pip install -e '.[resources]' to test the font fit")
    spec = importlib.util.spec_from_file_location(f"fonts_{name}", FONTS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module", params=list(FONT_SOURCES))
def source(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def font(source: str) -> Templates:
    return Templates(FONTS_DIR / f"{source}.npz")


@pytest.fixture(scope="module")
def med() -> Templates:
    return load_templates()


def test_every_font_source_is_a_shape_source_with_a_licence() -> None:
    fonts = {k for k, (folder, _) in SHAPE_SOURCES.items() if folder == "fonts"}
    assert fonts == set(FONT_SOURCES)
    readme = (FONTS_DIR / "README.md").read_text(encoding="utf-8")
    for name in fonts:
        assert load_shapes(name).path.name == f"{name}.npz"
        licence = FONTS_DIR / ("LICENSE" if name == "wenkai" else f"LICENSE.{name}")
        text = licence.read_text(encoding="utf-8")
        assert "Copyright" in text.splitlines()[0] and "SIL OPEN FONT LICENSE Version 1.1" in text
        assert f"{name}.npz" in readme


def test_regenerate_knows_every_font_source_pinned() -> None:
    fonts = _regenerate().FONTS  # font_sources.FONTS, as regenerate.py imports it
    assert set(fonts) == set(FONT_SOURCES)
    for name, src in fonts.items():
        assert len(src.sha256) == 64 and src.version, name
        assert src.registry in ("debian", "npm"), name
        assert FONT_SOURCES[name][0] in src.label, name


def test_layout_matches_the_medians(source: str) -> None:
    with (
        np.load(FONTS_DIR / f"{source}.npz", allow_pickle=False) as z,
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
        assert FONT_SOURCES[source][0] in str(z["version"])


def test_level1_characters_with_the_medians_stroke_count(
    source: str, font: Templates, med: Templates
) -> None:
    assert len(font) >= FONT_SOURCES[source][1]  # of the 3,755 level-1 characters
    assert set(font.chars) <= set(load_charset("gb2312_level1"))
    bad = [c for c in font.chars if len(font.strokes(c)) != len(med.strokes(c))]
    assert bad == []


def test_points_lie_in_the_unit_box(font: Templates) -> None:
    pts = np.concatenate([s for c in font.chars for s in font.strokes(c)])
    assert pts.min() >= 0.0 and pts.max() <= 1.0
    assert abs(float(np.median(pts[:, 0])) - 0.5) < 0.08
    assert abs(float(np.median(pts[:, 1])) - 0.5) < 0.08


def test_most_simple_characters_are_accepted(font: Templates) -> None:
    assert sum(c in font for c in "十口中人大木永我") >= 6


def _in_box(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """The strokes of one character scaled per axis onto its bounding box [0, 1]^2."""
    pts = np.concatenate(strokes)
    lo, size = pts.min(axis=0), np.maximum(np.ptp(pts, axis=0), 0.05)
    return [(s - lo) / size for s in strokes]


@pytest.mark.parametrize("char", "十口中人大木永我")
def test_strokes_start_and_end_near_the_medians(
    source: str, font: Templates, med: Templates, char: str
) -> None:
    if char not in font:
        pytest.skip(f"{char} was not accepted in {font.path.name}")
    a_all, b_all = font.strokes(char), med.strokes(char)
    assert len(a_all) == len(b_all)
    # the font has its own proportions (WenKai's 人 is narrower; Ma Shan Zheng's 十 has a
    # shorter vertical, its 中 a smaller 口): within REACH of the em box
    reach = REACH[source]
    for i, (a, b) in enumerate(zip(a_all, b_all, strict=True)):
        assert np.linalg.norm(a[0] - b[0]) < reach, (char, i, "start")
        assert np.linalg.norm(a[-1] - b[-1]) < reach, (char, i, "end")
    # order and direction kept: each stroke is nearer its own median than any other one,
    # both characters scaled onto their bounding boxes (so the font's proportions cancel)
    a_box, b_box = _in_box(a_all), _in_box(b_all)
    for i, (a, b) in enumerate(zip(a_box, b_box, strict=True)):
        d_own = np.linalg.norm(a[0] - b[0]) + np.linalg.norm(a[-1] - b[-1])
        for j, c in enumerate(b_box):
            if j != i and np.linalg.norm(c[0] - b[0]) + np.linalg.norm(c[-1] - b[-1]) > 0.15:
                d_other = np.linalg.norm(a[0] - c[0]) + np.linalg.norm(a[-1] - c[-1])
                assert d_own < d_other, (char, i, j)
    if char == "十":  # y down: the horizontal first, then the vertical downwards
        s = font.strokes(char)
        assert abs(s[0][0, 1] - s[0][-1, 1]) < 0.1 and s[1][-1, 1] > s[1][0, 1] + 0.5


def test_strokes_are_not_much_shorter_or_longer_than_the_medians(
    source: str, font: Templates, med: Templates
) -> None:
    lo, hi = LENGTHS[source]
    for c in font.chars[::37]:
        for a, b in zip(font.strokes(c), med.strokes(c), strict=True):
            la = np.linalg.norm(np.diff(a, axis=0), axis=1).sum()
            lb = np.linalg.norm(np.diff(b, axis=0), axis=1).sum()
            if lb > 0.1:
                assert lo < la / lb < hi, c


def test_fit_recovers_a_shifted_stroke() -> None:
    """The per-stroke fit pulls a median drawn 4 px beside a bar of ink onto the bar."""
    mod = _regenerate("registration")
    ink = np.zeros((64, 64), bool)
    ink[30:35, 10:54] = True  # a horizontal bar, centre line y = 32.5
    field = mod.Field(ink)
    stroke = mod.resample(np.array([[14.0, 28.5], [50.0, 28.5]]), mod.K)[None]
    fitted = mod.lm_fit(field, stroke, mod.SIGMA_T, mod.SIGMA_M)
    assert abs(float(fitted[0, :, 1].mean()) - 32.5) < 1.0
    assert fitted[0, -1, 0] > fitted[0, 0, 0] + 25  # direction kept, length about kept


def test_the_fonts_never_trained_on_are_yardsticks() -> None:
    """trainer.yardsticks.held_out_shapes measures every shape source a build does not train
    on, all its characters, and a trained one on its held-out fifth only."""
    from trainer.data.synth import SynthConfig
    from trainer.data.templates import held_out_shape
    from trainer.yardsticks import held_out_shapes

    charset = load_charset("gb2312_level1")[:400]
    trained = ("medians", "tomoe", "wenkai")
    sets = held_out_shapes(SynthConfig(), trained, 40, charset)
    for name in ("mashanzheng", "longcang"):
        inks = sets[f"{name} shapes (source never trained on)"]
        assert len(inks) == 40
        assert any(not held_out_shape(i.label) for i in inks)  # not only the held-out fifth
    wenkai = sets["wenkai shapes (held-out characters)"]
    assert wenkai and all(held_out_shape(i.label) for i in wenkai)


def _woff(path: Path, boxes: dict[str, tuple[int, int, int, int]]) -> Path:
    """A WOFF font (1000 units per em) drawing each character as one filled box."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = {ch: f"uni{ord(ch):04X}" for ch in boxes}
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", *names.values()])
    fb.setupCharacterMap({ord(ch): n for ch, n in names.items()})
    glyphs = {".notdef": TTGlyphPen(None).glyph()}
    for ch, (x0, y0, x1, y1) in boxes.items():
        pen = TTGlyphPen(None)
        pen.moveTo((x0, y0))
        pen.lineTo((x0, y1))
        pen.lineTo((x1, y1))
        pen.lineTo((x1, y0))
        pen.closePath()
        glyphs[names[ch]] = pen.glyph()
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (1000, 0) for n in [".notdef", *names.values()]})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Boxes", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.font.flavor = "woff"
    fb.save(str(path))
    return path


def test_glyph_set_draws_each_character_from_the_first_subset_that_maps_it(tmp_path: Path) -> None:
    """An @fontsource font comes as subsets: every one is read, the first that maps a
    character draws it."""
    pytest.importorskip("fontTools")
    reg = _regenerate()
    first = _woff(tmp_path / "f-0-400-normal.woff", {"一": (100, 350, 900, 450)})
    second = _woff(
        tmp_path / "f-1-400-normal.woff", {"一": (400, 350, 600, 450), "二": (100, 100, 900, 700)}
    )
    glyphs = reg.GlyphSet([first, second], reg.PX)
    assert glyphs.cmap == {ord("一"), ord("二")}
    width = {}
    for ch in "一二":
        lo, hi = reg.bbox(reg.render(glyphs.font(ch), ch))
        width[ch] = hi - lo
    assert abs(width["一"][0] - 0.8 * reg.PX) <= 2  # the first subset's 一, not the second's
    assert abs(width["二"][1] - 0.6 * reg.PX) <= 2
