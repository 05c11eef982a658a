"""k-means weight sharing: at most k distinct values per layer, zeros preserved."""

from __future__ import annotations

import pytest
import torch
from compress_helpers import sgd_steps, tiny_baseline

from trainer.checkpoint import plain_weights
from trainer.compress.prune import AdaptiveDropWeight, PruneConfig
from trainer.compress.quantize import KMeansQuantizer, QuantConfig, kmeans_1d

CLUSTERS = {"lstm1": 8, "lstm2": 16, "fc1": 4, "fc2": 4}


def pruned_model():
    model = tiny_baseline()
    adw = AdaptiveDropWeight(PruneConfig(sparsity={"fc1": 0.5, "fc2": 0.7}, increments=1))
    adw.finalize(model)
    return model


def distinct_nonzero(w: torch.Tensor) -> int:
    return int(torch.unique(w[w != 0]).numel())


@pytest.mark.parametrize("centroid_grad", ["mean", "sum"])
def test_at_most_k_values_and_zeros_kept_through_fine_tuning(centroid_grad):
    model = pruned_model()
    zero_before = {n: (p == 0).clone() for n, p in model.named_parameters() if p.dim() == 2}
    quant = KMeansQuantizer(QuantConfig(clusters=CLUSTERS, centroid_grad=centroid_grad))
    sgd_steps(model, [quant], steps=5)
    report = quant.finalize(model)
    params = dict(model.named_parameters())
    assert set(report) == set(zero_before)
    for name, r in report.items():
        k = r["k"]
        assert distinct_nonzero(params[name]) == r["distinct_nonzero"] <= k
        assert torch.equal(params[name] == 0, zero_before[name]), f"zeros of {name} moved"


def test_centroids_move_during_fine_tuning():
    model = pruned_model()
    quant = KMeansQuantizer(QuantConfig(clusters={"fc1": 4}))
    quant.prepare(model)
    before = torch.unique(model.fc1.weight[model.fc1.weight != 0])
    sgd_steps(model, [quant], steps=3)
    after = torch.unique(model.fc1.weight[model.fc1.weight != 0])
    assert len(after) <= 4 and not torch.equal(before, after)


def test_kmeans_1d_finds_separated_clusters():
    values = torch.cat([torch.full((50,), -1.0), torch.full((30,), 0.5), torch.full((20,), 2.0)])
    centroids, codes = kmeans_1d(values + 0.01 * torch.randn(100), k=3, iterations=20)
    assert torch.allclose(centroids, torch.tensor([-1.0, 0.5, 2.0]), atol=0.02)
    assert torch.equal(torch.bincount(codes), torch.tensor([50, 30, 20]))


def test_every_centroid_is_used_after_pruning_empties_the_middle():
    w = torch.randn(4000)
    w = w[w.abs() > 1.5]  # what pruning leaves: two tails, nothing around zero
    _centroids, codes = kmeans_1d(w, k=16, iterations=30)
    assert int((torch.bincount(codes, minlength=16) > 0).sum()) == 16


def test_state_dict_resumes_the_same_clusters():
    model = pruned_model()
    quant = KMeansQuantizer(QuantConfig(clusters=CLUSTERS))
    sgd_steps(model, [quant], steps=2)
    resumed = tiny_baseline(seed=1)  # as train() resumes: a plain model, the checkpoint's weights
    resumed.load_state_dict(plain_weights(model))
    again = KMeansQuantizer(QuantConfig(clusters=CLUSTERS))
    again.load_state_dict(quant.state_dict())
    again.on_train_start(resumed)
    before, after = plain_weights(model), plain_weights(resumed)
    for n in before:
        assert torch.equal(after[n], before[n]), n


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="clusters of fc2 must be in 2..256"):
        QuantConfig(clusters={"fc2": 300})
    with pytest.raises(ValueError, match="centroid_grad"):
        QuantConfig(centroid_grad="median")
