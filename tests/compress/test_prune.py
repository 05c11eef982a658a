"""Adaptive Drop Weight: sparsity equals its target to the element, masks persist."""

from __future__ import annotations

import math

import pytest
import torch
from compress_helpers import sgd_steps, tiny_baseline

from trainer.checkpoint import plain_weights
from trainer.compress.prune import AdaptiveDropWeight, PruneConfig
from trainer.compress.svd import LowRankConfig, factorize

TARGETS = {"fc2": 0.9, "fc1.weight": 0.75, "lstm2.weight_hh": 0.5, "lstm1": 0.3}


def zeros(model, name: str) -> int:
    return int((dict(model.named_parameters())[name] == 0).sum())


def test_sparsity_equals_target_to_the_element_after_the_schedule():
    model = tiny_baseline()
    cfg = PruneConfig(sparsity=TARGETS, interval=2, increments=4)
    adw = AdaptiveDropWeight(cfg)
    sgd_steps(model, [adw], steps=cfg.steps_to_target + 3)
    report = adw.finalize(model)
    expected = {
        "fc2.weight": 0.9,
        "fc1.weight": 0.75,
        "lstm2.weight_hh_l0": 0.5,
        "lstm1.weight_ih_l0": 0.3,
        "lstm1.weight_hh_l0": 0.3,
    }
    assert set(report) == set(expected)
    for name, target in expected.items():
        numel = report[name]["numel"]
        assert report[name]["zeros"] == math.floor(target * numel + 0.5) == zeros(model, name)
        assert report[name]["sparsity"] == pytest.approx(target, abs=0.5 / numel)
    assert zeros(model, "lstm2.weight_ih_l0") == 0  # not named: default 0, left dense


def test_ratio_rises_step_by_step_and_pruned_weights_stay_zero():
    model, _ = factorize(tiny_baseline(), LowRankConfig(ranks={"fc2.weight": 6}))
    adw = AdaptiveDropWeight(PruneConfig(sparsity={"fc2": 0.8}, interval=3, increments=4))
    seen, pruned_before = [], None
    adw.on_train_start(model)
    for step in range(12):
        sgd_steps(model, [], steps=1)  # weights move (and pruned ones would regrow) ...
        adw.after_step(model, step)  # ... until the masks are re-applied
        w = model.fc2.weight_U
        seen.append(int((w == 0).sum()))
        if pruned_before is not None:
            assert bool((w[pruned_before] == 0).all()), "a pruned weight came back"
        pruned_before = w == 0
    n = model.fc2.weight_U.numel()
    assert seen[0] == math.floor(0.2 * n + 0.5)
    assert seen == sorted(seen) and seen[-1] == math.floor(0.8 * n + 0.5)
    assert len(set(seen)) == 4  # four raises, every 3 steps


def test_gradients_of_pruned_weights_are_masked():
    model = tiny_baseline()
    adw = AdaptiveDropWeight(PruneConfig(sparsity={"fc1.weight": 0.5}, increments=1))
    adw.prepare(model)
    model(torch.randn(2, 4, 6), torch.tensor([4, 2])).sum().backward()
    trained = model.fc1.parametrizations.weight.original  # what the optimizer steps
    assert bool((trained.grad[model.fc1.weight == 0] == 0).all())
    assert bool((trained.grad[model.fc1.weight != 0] != 0).any())


def test_state_dict_resumes_the_same_masks():
    model = tiny_baseline()
    adw = AdaptiveDropWeight(PruneConfig(sparsity={"fc2": 0.6}, interval=1, increments=3))
    sgd_steps(model, [adw], steps=2)
    state = adw.state_dict()
    resumed = tiny_baseline(seed=1)  # as train() resumes: a plain model, the checkpoint's weights
    resumed.load_state_dict(plain_weights(model))
    again = AdaptiveDropWeight(PruneConfig(sparsity={"fc2": 0.6}, interval=1, increments=3))
    again.load_state_dict(state)
    again.on_train_start(resumed)
    assert torch.equal(again.masks["fc2.weight"], adw.masks["fc2.weight"])
    assert again.last_step == adw.last_step
    assert torch.equal(resumed.fc2.weight, model.fc2.weight)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="sparsity of fc2 must be in"):
        PruneConfig(sparsity={"fc2": 1.0})
    with pytest.raises(ValueError, match="'fc3' matches no weight matrix"):
        AdaptiveDropWeight(PruneConfig(sparsity={"fc3": 0.5})).prepare(tiny_baseline())
