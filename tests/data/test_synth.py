"""The handwriting synthesizer: contracts, determinism, the writer's style, calibration."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.ink import make_ink
from engine.preprocess import preprocess_arrays
from trainer.data.synth import (
    SynthConfig,
    WriterStyle,
    sample_writer,
    synthesize,
    synthesize_batch,
    to_ink,
)

F = np.float32
#: Hand-made templates (unit box, y down) in standard order and direction.
SHI = [np.array([[0.1, 0.5], [0.9, 0.5]], F), np.array([[0.5, 0.1], [0.5, 0.9]], F)]
KOU = [
    np.array([[0.2, 0.2], [0.2, 0.8]], F),
    np.array([[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]], F),
    np.array([[0.2, 0.8], [0.8, 0.8]], F),
]
YONG = [
    np.array([[0.45, 0.05], [0.5, 0.1], [0.52, 0.14]], F),
    np.array([[0.3, 0.3], [0.5, 0.28], [0.5, 0.85], [0.45, 0.9], [0.38, 0.84]], F),
    np.array([[0.1, 0.5], [0.32, 0.47], [0.2, 0.7], [0.08, 0.8]], F),
    np.array([[0.72, 0.28], [0.55, 0.46]], F),
    np.array([[0.53, 0.45], [0.7, 0.65], [0.95, 0.74]], F),
]
LINE = [np.array([[0.5, 0.05], [0.5, 0.95]], F)]
CHUAN = [
    np.array([[0.25, 0.15], [0.2, 0.85]], F),
    np.array([[0.5, 0.2], [0.5, 0.8]], F),
    np.array([[0.8, 0.1], [0.8, 0.9]], F),
]
QUIET = SynthConfig(
    sample_sd=0.0,
    offset_sd=0.0,
    scale_log_sd=0.0,
    stroke_rotation_sd=0.0,
    bend_sd=0.0,
    extend_sd=0.0,
    elastic_amp=0.0,
    swap_prob=0.0,
    reverse_prob=0.0,
    split_prob=0.0,
    jitter_sd=0.0,
    drop_prob=0.0,
    lift_cut=0.0,
)
PLAIN = WriterStyle(cursiveness=0.0, simplify=0.0, roundness=0.05, neatness=1.0)


def run(
    strokes: list[np.ndarray],
    seed: int,
    style: WriterStyle | None = None,
    config: SynthConfig | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    config = config or SynthConfig()
    rng = np.random.default_rng(seed)
    if style is None:
        style = sample_writer(rng, config)
    return synthesize(strokes, rng, style, config)


@pytest.mark.parametrize("template", [SHI, KOU, YONG, LINE, CHUAN])
def test_contract_and_determinism(template: list[np.ndarray]) -> None:
    for seed in range(30):
        xy, sid, t = run(template, seed)
        assert xy.dtype == np.float64 and xy.shape == (len(sid), 2)
        assert sid.dtype == np.int32 and t.dtype == np.float64
        assert sid[0] == 0 and set(np.diff(sid).tolist()) <= {0, 1}
        assert (np.diff(t) >= 0).all() and t[0] == 0
        assert sid[-1] + 1 <= len(template) + 1  # at most one extra (a broken stroke)
        assert np.isfinite(xy).all()
        ink = to_ink(xy, sid, t, label="x")
        assert len(ink.strokes) == sid[-1] + 1 and ink.num_points == len(xy)
        make_ink([s.tolist() for s in ink.strokes])
        again = run(template, seed)
        for a, b in zip((xy, sid, t), again, strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(run(YONG, 1)[0][:5], run(YONG, 2)[0][:5])


def test_a_batch_writes_what_single_calls_write() -> None:
    templates = [SHI, KOU, YONG, LINE, CHUAN] * 6
    styles = [sample_writer(np.random.default_rng(100 + i)) for i in range(len(templates))]
    batch = synthesize_batch(
        templates, [np.random.default_rng(i) for i in range(len(templates))], styles
    )
    for i, (tpl, style) in enumerate(zip(templates, styles, strict=True)):
        xy, sid, t = synthesize(tpl, np.random.default_rng(i), style)
        np.testing.assert_array_equal(sid, batch[i][1])
        np.testing.assert_allclose(xy, batch[i][0], atol=1e-6)
        np.testing.assert_allclose(t, batch[i][2], atol=1.0)  # ms, rounded
    with pytest.raises(ValueError):
        synthesize_batch([SHI], [], [])


def test_input_is_not_modified_and_one_point_strokes_work() -> None:
    dot = [np.array([[0.5, 0.5]], F), np.array([[0.2, 0.6], [0.8, 0.6]], F)]
    before = [s.copy() for s in YONG + dot]
    for seed in range(10):
        run(YONG, seed)
        sid = run(dot, seed)[1]
        assert (np.bincount(sid) > 0).all()
    for a, b in zip(YONG + dot, before, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError):
        run([], 0)


def test_high_cursiveness_joins_strokes() -> None:
    style = replace(sample_writer(np.random.default_rng(0)), cursiveness=0.99)
    for seed in range(20):
        _, sid, _ = run(YONG, seed, style)
        assert sid[-1] + 1 < len(YONG)
    style = replace(style, cursiveness=0.0)
    lifts = [run(YONG, seed, style)[1][-1] + 1 for seed in range(20)]
    assert np.median(lifts) == len(YONG)


def _dist_to_polyline(p: np.ndarray, line: np.ndarray) -> np.ndarray:
    a, b = line[:-1].astype(np.float64), line[1:].astype(np.float64)
    ab = b - a
    u = np.clip(((p[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    near = a + u[..., None] * ab
    return np.hypot(*(p[:, None] - near).transpose(2, 0, 1)).min(axis=1)


def test_without_joins_and_noise_the_template_is_traced() -> None:
    xy, sid, _ = run(YONG, 3, PLAIN, QUIET)
    assert sid[-1] + 1 == len(YONG)
    xy = xy - 0.5 + 0.5  # size 1, centred on the unit box
    for k, stroke in enumerate(YONG):
        pts = xy[sid == k]
        assert _dist_to_polyline(pts, stroke).max() < 0.02
        assert _dist_to_polyline(stroke.astype(np.float64), pts).max() < 0.03


def test_a_simplifying_writer_drops_unjoined_hooks_and_turns_dots_into_ticks() -> None:
    # YONG: stroke 0 is a dot ending at (0.52, 0.14); stroke 1 ends in a hook from its base
    # (0.45, 0.9) to (0.38, 0.84); stroke 1 starts at (0.3, 0.3)
    plain = replace(PLAIN, roundness=0.1)
    ends = {}
    for simplify in (0.0, 1.0):
        xy, sid, _ = run(YONG, 0, replace(plain, simplify=simplify), QUIET)
        ends[simplify] = xy[sid == 0][-1], xy[sid == 1][-1]
    (dot, tip), (tick, base) = ends[0.0], ends[1.0]
    assert np.hypot(*(tip - [0.38, 0.84])) < 0.01
    assert np.hypot(*(base - [0.45, 0.9])) < 0.02
    assert np.hypot(*(dot - [0.52, 0.14])) < 0.01
    assert 0.03 < np.hypot(*(tick - dot)) < 0.06 and tick[0] < dot[0] and tick[1] > dot[1]


def test_the_pen_lifts_early_where_the_next_stroke_lies_behind() -> None:
    # 十: the jump from the end of 一 (0.9, 0.5) to the top of 丨 (0.5, 0.1) runs back at
    # 135 degrees from both: 一 ends, and 丨 starts, 0.2 * 0.6 (a writer of no fluency)
    # * cos 45 of their length short; the jump shortens by as much, each stroke stays on
    # its line. Two strokes one after the other on a line are not cut.
    config = replace(QUIET, lift_cut=0.2, lift_neat=0.6)
    cut = 0.2 * 0.6 * np.sqrt(0.5) * 0.8
    # by default (lift_neat 0) a writer of no fluency ends every stroke where it ends...
    neat = replace(QUIET, lift_cut=0.2)
    np.testing.assert_array_equal(run(SHI, 0, PLAIN, neat)[0], run(SHI, 0, PLAIN, QUIET)[0])
    # ... and the cut rises with fluency: twice the mean factor at fluency 1 (a joiner's
    # gaps are joined, so measure a writer of fluency 0.5: factor 1, where 0.6 gives 1 too)
    half = replace(PLAIN, cursiveness=0.5)
    np.testing.assert_allclose(run(SHI, 0, half, neat)[0], run(SHI, 0, half, config)[0])
    xy, sid, _ = run(SHI, 0, PLAIN, config)
    heng, shu = xy[sid == 0], xy[sid == 1]
    np.testing.assert_allclose(heng[[0, -1]], [[0.1, 0.5], [0.9 - cut, 0.5]], atol=1e-3)
    np.testing.assert_allclose(shu[[0, -1]], [[0.5, 0.1 + cut], [0.5, 0.9]], atol=1e-3)
    assert abs(np.hypot(*(shu[0] - heng[-1])) - np.sqrt(2) * (0.4 - cut)) < 2e-3  # was 0.566
    on_a_line = [np.array([[0.1, 0.5], [0.4, 0.5]], F), np.array([[0.6, 0.5], [0.9, 0.5]], F)]
    np.testing.assert_array_equal(
        run(on_a_line, 0, PLAIN, config)[0], run(on_a_line, 0, PLAIN, QUIET)[0]
    )
    # a joined gap is not a pen-up: a writer who joins everything writes it as before
    joiner = replace(PLAIN, cursiveness=1.0)
    np.testing.assert_array_equal(run(SHI, 0, joiner, config)[0], run(SHI, 0, joiner, QUIET)[0])
    # 口: 丨 ends and the bottom 一 starts short of their corner (each jump runs back along
    # them); the 横折 turns a corner (it would shrink about its chord): written whole
    xy, sid, _ = run(KOU, 0, PLAIN, config)
    ref, ref_sid, _ = run(KOU, 0, PLAIN, QUIET)
    shu, zhe, heng = (xy[sid == k] for k in range(3))
    assert shu[-1, 1] < 0.8 - 0.05 and heng[0, 0] > 0.2 + 0.05
    np.testing.assert_allclose(zhe[[0, -1]], ref[ref_sid == 1][[0, -1]], atol=1e-9)
    # a twin's damped strokes carry what tells it apart (confusable.Twin): written whole
    from trainer.data.synth.confusable import Twin

    twin = Twin(SHI)
    twin.damp = np.ones((2, 8))
    twin.damp[0, 1] = 0.3  # 一's height: its end stays, 丨 still starts short
    tiny = replace(config, offset_sd=1e-9)
    xy, sid, _ = run(twin, 0, PLAIN, tiny)
    np.testing.assert_allclose(xy[sid == 0][-1], [0.9, 0.5], atol=1e-6)
    np.testing.assert_allclose(xy[sid == 1][0], [0.5, 0.1 + cut], atol=1e-3)


def _vertical_slopes(xy: np.ndarray, sid: np.ndarray) -> list[float]:
    """dx/dy of the least-squares line through each pen-down stroke."""
    out = []
    for k in range(sid[-1] + 1):
        p = xy[sid == k]
        y = p[:, 1] - p[:, 1].mean()
        out.append(float((y * (p[:, 0] - p[:, 0].mean())).sum() / (y * y).sum()))
    return out


def test_the_writer_style_holds_across_characters() -> None:
    base = replace(
        sample_writer(np.random.default_rng(5)), cursiveness=0.0, rotation=0.0, neatness=1.0
    )
    slopes = {}
    for slant in (-0.3, 0.3):
        style = replace(base, slant=slant)
        slopes[slant] = [
            np.median(_vertical_slopes(*run(c, s, style)[:2]))
            for s, c in enumerate((LINE, CHUAN, LINE, CHUAN))
        ]
    for slant, measured in slopes.items():
        assert np.ptp(measured) < 0.25, measured  # one writer: about the same slant
        assert abs(np.mean(measured) - slant) < 0.1
    assert np.mean(slopes[0.3]) - np.mean(slopes[-0.3]) > 0.4


def test_calibration_against_real_fast_handwriting() -> None:
    templates = pytest.importorskip("trainer.data.templates")
    tpl, chars = templates.load_templates(), templates.load_charset()
    rng = np.random.default_rng(0)
    rows = []
    for i in rng.integers(len(chars), size=500):
        strokes = tpl.strokes(chars[i])
        xy, sid, _ = synthesize(strokes, rng, sample_writer(rng))
        ext = xy.max(axis=0) - xy.min(axis=0)
        rows.append((len(strokes), sid[-1] + 1, len(xy), ext[0] / ext[1]))
        assert len(preprocess_arrays(xy, sid)) >= sid[-1] + 1
    std, down, pts, wh = np.array(rows, dtype=np.float64).T
    assert 0.45 <= np.median(down / std) <= 0.75  # real: 0.60
    assert 45 <= np.median(pts) <= 75  # real: 59
    assert 0.8 <= np.median(wh) <= 1.0  # real: 0.89
    assert 0.8 <= np.mean(down < std) <= 0.97  # real: 0.91


#: Two components side by side: a 口-like box on the left, a 十-like cross on the right.
LEFT_RIGHT = [
    np.array([[0.05, 0.3], [0.05, 0.7]], F),
    np.array([[0.05, 0.3], [0.35, 0.3], [0.35, 0.7]], F),
    np.array([[0.05, 0.7], [0.35, 0.7]], F),
    np.array([[0.5, 0.5], [0.95, 0.5]], F),
    np.array([[0.72, 0.1], [0.72, 0.9]], F),
]


def test_two_part_layouts_are_found_in_writing_order() -> None:
    from trainer.data.synth.template import build
    from trainer.data.templates import load_templates

    assert build(LEFT_RIGHT, SynthConfig()).part.tolist() == [1, 1, 1, -1, -1]
    assert build(LEFT_RIGHT, SynthConfig()).part_axis[0] == 1
    assert not build(KOU, SynthConfig()).part.any()  # one component
    assert not build(LINE, SynthConfig()).part.any()
    templates = load_templates()
    ni = build(templates.strokes("你"), SynthConfig())  # 亻 + 尔
    assert ni.part.tolist() == [1, 1, -1, -1, -1, -1, -1] and ni.part_axis[0] == 1
    si = build(templates.strokes("思"), SynthConfig())  # 田 over 心
    assert si.part.tolist() == [1] * 5 + [-1] * 4 and si.part_axis[0] == 1j
    assert not build(templates.strokes("国"), SynthConfig()).part.any()  # an enclosure


def test_components_move_as_wholes() -> None:
    # Only the layout noise: every stroke end is its template end under its component's
    # own scale and shift, the same for all strokes of that component.
    config = replace(QUIET, part_shift_sd=0.05, part_scale_sd=0.2, part_offset_sd=0.05)
    ends = np.array([[s[0], s[-1]] for s in LEFT_RIGHT], dtype=np.float64)  # (5, 2, 2)
    gaps, scales = [], []
    for seed in range(10):
        xy, sid, _ = run(LEFT_RIGHT, seed, PLAIN, config)
        assert sid[-1] + 1 == len(LEFT_RIGHT)
        out = np.array([[xy[sid == k][0], xy[sid == k][-1]] for k in range(5)])
        fit = []
        for part in (slice(0, 3), slice(3, 5)):
            a = ends[part].reshape(-1, 2)
            b = out[part].reshape(-1, 2)
            s = np.linalg.norm(b - b.mean(0)) / np.linalg.norm(a - a.mean(0))
            np.testing.assert_allclose(b - b.mean(0), s * (a - a.mean(0)), atol=1e-3)
            fit.append((s, b.mean(0) - a.mean(0)))
        scales.append(fit[0][0] / fit[1][0])
        gaps.append(fit[1][1][0] - fit[0][1][0])
    assert np.std(np.log(scales)) > 0.03 and np.std(gaps) > 0.01
    # off: the layout found (here with a looser overlap) does not change the ink
    np.testing.assert_array_equal(
        run(LEFT_RIGHT, 0, PLAIN, QUIET)[0],
        run(LEFT_RIGHT, 0, PLAIN, replace(QUIET, part_overlap=0.2))[0],
    )


def test_a_batch_with_moving_components_writes_what_single_calls_write() -> None:
    from trainer.build.presets import robust_writers

    config = robust_writers()
    assert config.parts_vary
    templates = [LEFT_RIGHT, SHI, YONG, KOU] * 4
    styles = [sample_writer(np.random.default_rng(200 + i), config) for i in range(16)]
    batch = synthesize_batch(
        templates, [np.random.default_rng(i) for i in range(16)], styles, config
    )
    for i, (tpl, style) in enumerate(zip(templates, styles, strict=True)):
        xy, sid, _ = synthesize(tpl, np.random.default_rng(i), style, config)
        np.testing.assert_array_equal(sid, batch[i][1])
        # drawn digitizers give pixels (a box up to 2000): 1e-6 of the ink's size
        np.testing.assert_allclose(xy, batch[i][0], atol=1e-6 * max(1.0, float(np.ptp(xy))))
