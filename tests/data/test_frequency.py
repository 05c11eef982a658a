"""Class sampling by a mix of uniform and text frequency (issue 25)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainer.data import frequency
from trainer.data.config import DataConfig
from trainer.data.frequency import LOOKALIKES, class_weights, unigram
from trainer.data.seeds import EpochOrder, WeightedOrder
from trainer.data.sources import SyntheticSource
from trainer.data.templates import load_charset


def test_weights_favour_frequent_characters_without_starving_the_rest() -> None:
    cs = load_charset("gb2312_level1")
    p = unigram(cs)
    assert p.sum() == pytest.approx(1.0) and p[cs.index("的")] == p.max()
    w = class_weights(cs, 0.5, 0.5)
    assert w.sum() == pytest.approx(1.0)
    top = np.argsort(-p)[:300]
    assert 0.15 < w[top].sum() < 0.2  # 8% when uniform
    assert w.min() >= 0.5 / len(cs)  # the uniform half is kept
    assert np.allclose(class_weights(cs, 1.0, 0.5), 1.0 / len(cs))
    with pytest.raises(ValueError, match="class_uniform"):
        class_weights(cs, 1.5, 0.5)
    with pytest.raises(ValueError, match="class_uniform"):
        DataConfig(class_uniform=-0.1)


def test_weighted_order_draws_by_weight_and_is_deterministic() -> None:
    w = np.array([0.5, 0.3, 0.2, 0.0])
    order = WeightedOrder(w, seed=3)
    draws = np.array([order(i) for i in range(8000)])
    assert np.allclose(np.bincount(draws, minlength=4) / 8000, w, atol=0.02)
    again = WeightedOrder(w, seed=3)
    assert [again(i) for i in (7999, 5, 4000)] == [int(draws[i]) for i in (7999, 5, 4000)]
    with pytest.raises(ValueError, match="weights"):
        WeightedOrder(np.array([0.0, 0.0]), seed=0)


def test_source_uses_frequency_only_when_asked() -> None:
    base = DataConfig(num_classes=50, val_per_class=0)
    assert isinstance(SyntheticSource(base)._order, EpochOrder)
    mixed = SyntheticSource(replace(base, class_uniform=0.5))
    assert isinstance(mixed._order, WeightedOrder)
    labels = [mixed._order(i) for i in range(5000)]
    counts = np.bincount(labels, minlength=50)
    top = int(np.argmax(unigram(mixed.classes)))  # the most frequent of these 50
    assert counts[top] > 2 * 100  # 100 each when uniform
    assert counts.min() > 0


def test_lookalikes_are_drawn_as_often_as_each_other() -> None:
    classes = load_charset()
    plain = class_weights(classes, 0.7, 0.5)
    even = class_weights(classes, 0.7, 0.5, even_lookalikes=True)
    assert even.sum() == pytest.approx(1.0)
    at = classes.index
    # by frequency alone 已 is drawn about twice as often as 己; evened, alike
    assert plain[at("已")] > 1.5 * plain[at("己")]
    assert even[at("己")] == pytest.approx(even[at("已")]) == pytest.approx(even[at("巳")])
    assert even[at("曰")] < even[at("日")]  # 日 / 曰 left out: frequency decides there
    # a group takes its most frequent member's weight; classes outside keep their ratios
    scale = even[at("的")] / plain[at("的")]
    assert even[at("己")] == pytest.approx(plain[at("已")] * scale)
    assert even[at("的")] / even[at("是")] == pytest.approx(plain[at("的")] / plain[at("是")])
    assert all(c in classes for group in LOOKALIKES for c in group)
    assert DataConfig().class_even_lookalikes is False  # off unless a preset asks


def test_lookalike_groups_are_disjoint_so_their_order_does_not_matter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A character in two groups would take the weight of whichever group came last; the
    real writers' misses (issue 25) are each in a group."""
    members = [c for group in LOOKALIKES for c in group]
    assert len(members) == len(set(members)), [c for c in members if members.count(c) > 1]
    assert all(len(group) >= 2 for group in LOOKALIKES)
    for pair in ("一二", "丁子", "巾中", "乞气", "山凶", "田由甲申"):
        assert any(set(pair) <= set(group) for group in LOOKALIKES), pair
    assert not any("日" in g or "曰" in g for g in LOOKALIKES)  # told apart by frequency
    classes = load_charset()
    forward = class_weights(classes, 0.7, 0.5, even_lookalikes=True)
    monkeypatch.setattr(frequency, "LOOKALIKES", tuple(reversed(LOOKALIKES)))
    backward = class_weights(classes, 0.7, 0.5, even_lookalikes=True)
    assert np.array_equal(forward, backward)
    at = classes.index
    assert forward[at("田")] == forward[at("甲")] == forward[at("申")] == forward[at("由")]
