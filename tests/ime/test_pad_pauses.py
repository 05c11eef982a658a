"""The learned auto-commit pause (issue 15): safe for slow writers from the first character,
shorter for fast ones once learned, longer after a commit taken back."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ime.pauses import PauseConfig, PauseModel, quantile, stroke_pauses

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


def test_stroke_pauses_are_pen_up_to_pen_down() -> None:
    strokes = [[(0, 0, 0), (1, 1, 100)], [(2, 2, 1100), (3, 3, 1200)], [(4, 4, 1250)]]
    assert stroke_pauses(strokes) == [1000, 50]
    assert stroke_pauses(strokes[:1]) == []


def test_quantile_matches_numpy() -> None:
    np = pytest.importorskip("numpy")
    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0]
    for q in (0.0, 0.5, 0.9, 0.95, 1.0):
        assert quantile(values, q) == pytest.approx(float(np.quantile(values, q)))


def test_zhong_with_one_second_pauses_is_one_character_for_a_new_user() -> None:
    """The issue's case: 中 (4 strokes) with 1 s pauses typed 了口一 at 800 ms."""
    model = PauseModel()
    assert all(pause < model.delay_ms() for pause in [1000, 1000, 1000])
    model.learn([1000, 1000, 1000])
    assert model.delay_ms() >= 2000


def test_a_fast_writer_gets_a_shorter_pause_once_learned() -> None:
    model = PauseModel()
    for _ in range(4):
        model.learn([200, 250, 180, 220])
    assert model.delay_ms() == round(1.5 * quantile(model.pauses, 0.95) + 300) < 1000


def test_a_commit_taken_back_lengthens_the_pause_past_it() -> None:
    model = PauseModel(PauseConfig(min_samples=1), pauses=[300.0] * 64)
    before = model.delay_ms()
    model.too_early(before)
    assert model.delay_ms() > before


def test_the_pause_stays_in_its_bounds() -> None:
    c = PauseConfig()
    assert PauseModel(c, [0.0] * 64).delay_ms() == c.floor_ms
    assert PauseModel(c, [60_000.0] * 64).delay_ms() == c.ceiling_ms
    with pytest.raises(ValueError):
        PauseConfig(floor_ms=3000, start_ms=2000)


def test_bench_slow_writers_commit_whole_characters() -> None:
    from bench_autocommit import WRITERS, Fixed, simulate

    slow = WRITERS[2]
    assert simulate(slow, Fixed(800), 200, 0)["partial"] > 0.9
    assert simulate(slow, PauseModel(), 200, 0)["partial"] < 0.05
