"""Properties of the Zhang et al. 2017 preprocessing."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import reference_preprocess as ref

from engine.errors import InkError
from engine.ink import make_ink
from tests.support.engine_fixtures import sample_ink

pp = importlib.import_module("engine.preprocess")  # `engine.preprocess` is also a function


def seg_moments(xy: np.ndarray, sid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Length-weighted line-segment mean and second moments (Zhang et al. 2017, Eq. 1-4)."""
    same = sid[1:] == sid[:-1]
    p1, p2 = xy[:-1][same], xy[1:][same]
    seg = np.linalg.norm(p2 - p1, axis=1)
    mu = (seg[:, None] * (p1 + p2) / 2).sum(0) / seg.sum()
    a, b = p1 - mu, p2 - mu
    var = (seg[:, None] / 3 * (a * a + b * b + a * b)).sum(0) / seg.sum()
    return mu, var


@pytest.mark.parametrize("seed", range(5))
def test_normalize_zero_mean_unit_scale(seed: int) -> None:
    xy, sid = pp.ink_arrays(sample_ink(seed))
    xy = xy * 37.0 + 1000.0
    norm = pp.normalize(xy, sid)
    mu, var = seg_moments(norm, sid)
    assert np.allclose(mu, 0, atol=1e-9)
    assert np.isclose(max(np.sqrt(var[1]), np.sqrt(var[0]) / 2), 1.0)
    # scale and shift invariant
    assert np.allclose(pp.normalize(xy * 0.01 - 5, sid), norm, atol=1e-9)


def test_normalize_flat_character_and_dots() -> None:
    xy = np.array([[0.0, 5.0], [100.0, 5.0]])
    norm = pp.normalize(xy, np.zeros(2, np.int32))
    assert np.isfinite(norm).all() and np.allclose(norm[:, 1], 0)
    dots = pp.normalize(np.array([[3.0, 4.0], [3.0, 4.0]]), np.array([0, 1], np.int32))
    assert np.allclose(dots, 0)


def test_nothing_is_mutated() -> None:
    ink = sample_ink(1)
    xy, sid = pp.ink_arrays(ink)
    xy0, sid0 = xy.copy(), sid.copy()
    norm = pp.normalize(xy, sid)
    norm0 = norm.copy()
    pts, s = pp.remove_redundant(norm, sid)
    pp.drop_points(pts, s, 0.3, np.random.default_rng(0))
    pp.features(pts, s)
    pp.preprocess(ink, rng=np.random.default_rng(1))
    assert np.array_equal(xy, xy0) and np.array_equal(sid, sid0)
    assert np.array_equal(norm, norm0)
    assert xy.base is None or xy.base is not ink.strokes[0]


def test_remove_redundant_keeps_endpoints_drops_collinear_and_close() -> None:
    line = np.stack([np.linspace(0, 10, 11), np.zeros(11)], axis=1)  # collinear
    close = np.array([[0.0, 5.0], [0.01, 5.0], [0.02, 5.0], [3.0, 8.0], [6.0, 5.0]])
    xy = np.concatenate([line, close, [[9.0, 9.0]]])
    sid = np.array([0] * 11 + [1] * 5 + [2], dtype=np.int32)
    pts, s = pp.remove_redundant(xy, sid, dist_threshold=0.02, cos_threshold=0.99)
    # stroke 0: only its endpoints; stroke 1: the two near-duplicates go, the corner stays
    assert pts[s == 0].tolist() == [[0.0, 0.0], [10.0, 0.0]]
    assert pts[s == 1].tolist() == [[0.0, 5.0], [3.0, 8.0], [6.0, 5.0]]
    assert pts[s == 2].tolist() == [[9.0, 9.0]]


def test_remove_redundant_keeps_every_stroke_endpoint() -> None:
    for seed in range(20):
        xy, sid = pp.ink_arrays(sample_ink(seed, strokes=4, points=15))
        norm = pp.normalize(xy, sid)
        pts, s = pp.remove_redundant(norm, sid)
        for k in range(4):
            assert np.array_equal(pts[s == k][[0, -1]], norm[sid == k][[0, -1]])


def test_faster_code_equals_the_reference() -> None:
    """The sped-up normalize / remove_redundant give the first implementation's output."""
    rng = np.random.default_rng(7)
    for seed in range(150):
        ink = sample_ink(seed, strokes=int(rng.integers(1, 8)), points=int(rng.integers(1, 25)))
        xy, sid = pp.ink_arrays(ink)
        if seed % 3 == 0:
            xy = np.round(xy / 4) * 4  # duplicates and exact collinear runs
        norm = pp.normalize(xy, sid)
        assert np.allclose(norm, ref.normalize(xy, sid), rtol=0, atol=1e-12)
        a, b = pp.remove_redundant(norm, sid), ref.remove_redundant(norm, sid)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        c = pp.remove_redundant(ref.normalize(xy, sid), sid)
        assert len(c[0]) == len(a[0])


def test_features_shape_and_pen_flags() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 2.0], [5.0, 5.0], [7.0, 1.0]])
    sid = np.array([0, 0, 1, 1], dtype=np.int32)
    f = pp.features(xy, sid)
    assert f.shape == (4, 6) and f.dtype == np.float32
    assert f[:, 4].tolist() == [1, 0, 1, 0] and f[:, 5].tolist() == [0, 1, 0, 1]
    assert f[0, 2:4].tolist() == [1, 2] and f[3, 2:4].tolist() == [0, 0]


def test_drop_points_is_seeded_and_keeps_every_stroke() -> None:
    xy, sid = pp.ink_arrays(sample_ink(3, strokes=6, points=3))
    a = pp.drop_points(xy, sid, 0.9, np.random.default_rng(42))
    b = pp.drop_points(xy, sid, 0.9, np.random.default_rng(42))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert set(a[1].tolist()) == set(range(6))
    frac = 1 - len(pp.drop_points(xy, sid, 0.3, np.random.default_rng(0))[0]) / len(xy)
    assert 0.0 < frac < 0.6
    with pytest.raises(ValueError, match="fraction"):
        pp.drop_points(xy, sid, 1.0, np.random.default_rng(0))


def test_preprocess_end_to_end() -> None:
    f = pp.preprocess(make_ink([[[5, 5, 0]]]))
    assert f.shape == (1, 6) and f[0, 5] == 1
    f = pp.preprocess(sample_ink(0))
    assert f.ndim == 2 and f.shape[1] == 6 and np.isfinite(f).all()
    with pytest.raises(InkError):
        pp.preprocess_arrays(np.zeros((0, 2)), np.zeros(0, np.int32))


def test_config_round_trip() -> None:
    c = pp.PreprocessConfig(dist_threshold=0.03)
    assert pp.PreprocessConfig.from_dict(c.to_dict()) == c


def _dense_pixels(
    xy: np.ndarray, sid: np.ndarray, box: float, jitter: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The strokes in a ``box`` px box, a point every pixel along each, +-``jitter`` px of
    noise, whole pixels, every point reported twice when jittered (a noisy tablet)."""
    rng = np.random.default_rng(seed)
    lo = xy.min(axis=0)
    p = (xy - lo) * (box / float((xy.max(axis=0) - lo).max()))
    out, s_out = [], []
    for s in np.unique(sid):
        q = p[sid == s]
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(q, axis=0).T))])
        pos = np.append(np.arange(0.0, cum[-1], 1.0), cum[-1]) if cum[-1] > 0 else cum[:1]
        pts = np.column_stack([np.interp(pos, cum, q[:, 0]), np.interp(pos, cum, q[:, 1])])
        pts = np.rint(pts + rng.uniform(-jitter, jitter, pts.shape))
        if jitter:
            pts = np.repeat(pts, 2, axis=0)
        out.append(pts)
        s_out.append(np.full(len(pts), s, dtype=np.int32))
    return np.concatenate(out), np.concatenate(s_out)


def _sid(feats: np.ndarray) -> np.ndarray:
    """Stroke index of each point of (T, 6) features (from the pen-up flags)."""
    return np.concatenate([[0], np.cumsum(feats[:-1, 5])]).astype(np.int32)


def test_resample_keeps_every_stroke_end_and_spaces_points_evenly() -> None:
    xy = np.array([[0, 0], [10, 0], [10, 10], [20, 20], [20, 20], [5, 5]], dtype=float)
    sid = np.array([0, 0, 0, 1, 1, 2], dtype=np.int32)
    out, s = pp.resample(xy, sid, 0.1)  # every 2 units of the 20-unit extent
    assert s.tolist() == [0] * 11 + [1, 2]  # a repeated point and a dot: one point each
    first = out[s == 0]
    assert np.allclose(first[0], [0, 0]) and np.allclose(first[-1], [10, 10])
    assert np.allclose(np.hypot(*np.diff(first, axis=0).T), 2.0)
    assert np.allclose(out[s == 1], [[20, 20]]) and np.allclose(out[s == 2], [[5, 5]])


@pytest.mark.parametrize("seed", range(5))
def test_features_do_not_depend_on_the_digitizer(seed: int) -> None:
    """The same strokes sampled sparsely, or every pixel in whole pixels of a small or large
    box, or jittered by a pixel with every point repeated: no more points than a quarter
    above the sparse ink's (spurious points are what broke the version-1 model), not under
    0.6 of them (training drops 30% of the points at random; version 4 smooths a 100 px
    staircase into fewer), and the same shape (issue 13)."""
    xy, sid = pp.ink_arrays(sample_ink(seed))
    given = pp.preprocess_arrays(xy, sid)
    for box, jitter in ((100, 0.0), (300, 0.0), (2000, 0.0), (300, 1.0)):
        dxy, dsid = _dense_pixels(xy, sid, box, jitter, seed)
        assert len(dxy) > 3 * len(xy)
        dense = pp.preprocess_arrays(dxy, dsid)
        assert 0.6 * len(given) <= len(dense) <= len(given) + max(4, 0.25 * len(given)), (
            box,
            jitter,
            len(dense),
            len(given),
        )
        assert dense[:, 5].sum() == given[:, 5].sum()  # the same pen-ups
        # every point lies near the path of the sparse ink's sequence (normalized units;
        # the character spans about 3.5)
        path, _ = pp.resample(given[:, :2].astype(float), _sid(given), 0.002)
        gap = np.hypot(*(dense[:, None, :2] - path[None, :, :]).transpose(2, 0, 1)).min(1)
        assert gap.max() < 0.1, (box, jitter, gap.max())


def test_thin_averages_runs_of_path_and_keeps_stroke_ends() -> None:
    """A 1-unit staircase with +-1 unit of jitter along 100 units: runs of 3 units (0.03 of
    the extent) are averaged, so the path measures about its true length again; both ends
    stay where they were; a dot and a sparse stroke come back unchanged (version 3)."""
    rng = np.random.default_rng(0)
    x = np.arange(101.0)
    line = np.column_stack([x, np.rint(rng.uniform(-1, 1, 101))])
    sparse = np.array([[0.0, 20.0], [50.0, 30.0], [100.0, 20.0]])
    xy = np.concatenate([line, [[50.0, 50.0]], sparse])
    sid = np.repeat(np.arange(3, dtype=np.int32), [101, 1, 3])
    out, s = pp.thin(xy, sid, 0.03)
    first = out[s == 0]
    assert np.array_equal(first[0], line[0]) and np.array_equal(first[-1], line[-1])
    assert 30 <= len(first) <= 55  # a run: 3 units of the jittered path, 2-3 points
    length = np.hypot(*np.diff(first, axis=0).T).sum()
    raw = np.hypot(*np.diff(line, axis=0).T).sum()
    assert raw > 130 and length < 112  # the jitter lengthened the 100-unit path by 38%
    assert np.array_equal(out[s == 1], [[50.0, 50.0]]) and np.array_equal(out[s == 2], sparse)
    same, ss = pp.thin(sparse, np.zeros(3, dtype=np.int32), 0.03)
    assert np.array_equal(same, sparse) and ss.tolist() == [0, 0, 0]


def test_thin_step_follows_a_coarse_pixel_grid() -> None:
    """Version 4: on whole-pixel ink the thinning runs span at least thin_min_units pixels,
    so a 100 px box is thinned over 4.5 px (0.045) and a 300 px pad keeps 0.03; float ink,
    a single point and thin_min_units 0 (version 3's configs) keep the fixed step."""
    box100 = np.array([[0.0, 0.0], [100.0, 40.0], [50.0, 70.0]])
    assert pp.thin_step_for(box100, 0.03, 4.5) == pytest.approx(0.045)
    assert pp.thin_step_for(box100 * 3, 0.03, 4.5) == 0.03
    assert pp.thin_step_for(box100 + 0.25, 0.03, 4.5) == 0.03
    assert pp.thin_step_for(box100, 0.03, 0.0) == 0.03
    assert pp.thin_step_for(box100[:1], 0.03, 4.5) == 0.03
    assert pp.thin_step_for(np.zeros((3, 2)), 0.03, 4.5) == 0.03


@pytest.mark.parametrize("seed", range(3))
def test_small_whole_pixel_box_is_thinned_at_the_grid_step(seed: int) -> None:
    """preprocess_arrays thins a 100 px whole-pixel ink as thin() at 0.045 would, and a
    300 px one exactly as version 3 did."""
    xy, sid = pp.ink_arrays(sample_ink(seed))
    v3 = pp.PreprocessConfig(thin_min_units=0.0)
    for box, step in ((100, 0.045), (300, 0.03)):
        dxy, dsid = _dense_pixels(xy, sid, box, 0.0, seed)
        got = pp.preprocess_arrays(dxy, dsid)
        norm, s = pp.thin(pp.normalize(dxy, dsid), dsid, step)
        norm, s = pp.resample(norm, s, v3.resample_step)
        want = pp.features(*pp.remove_redundant(norm, s, v3.dist_threshold, v3.cos_threshold))
        assert np.array_equal(got, want), box
        assert np.array_equal(pp.preprocess_arrays(dxy, dsid, v3), got) == (box == 300)


@pytest.mark.parametrize("bad", [-1.0, 1e6, float("nan")])
def test_thin_min_units_out_of_range_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="thin_min_units must be a number in \\[0, 1e6\\)"):
        pp.PreprocessConfig(thin_min_units=bad)


def test_configs_before_version_4_read_as_no_grid_minimum() -> None:
    d = pp.PreprocessConfig().to_dict()
    assert d["thin_min_units"] == 4.5
    del d["thin_min_units"]
    assert pp.PreprocessConfig.from_dict(d).thin_min_units == 0.0


def test_points_are_capped_in_the_preprocessing() -> None:
    xy = np.column_stack([np.arange(2000.0), np.sin(np.arange(2000.0))])
    sid = np.repeat(np.arange(400, dtype=np.int32), 5)  # 400 strokes, every point kept
    feats = pp.preprocess_arrays(xy, sid, pp.PreprocessConfig(max_points=120))
    assert len(feats) == 120
    with pytest.raises(ValueError, match="max_points"):
        pp.PreprocessConfig(max_points=1)
