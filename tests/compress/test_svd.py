"""SVD reconstruction: rank <= r, energy reported, exact at full rank, same gradients."""

from __future__ import annotations

import pytest
import torch
from compress_helpers import batch, tiny_baseline

from trainer.compress.svd import LowRankConfig, LowRankLSTM, factorize, rank_for_energy
from trainer.model import build_model_from_spec, model_spec

RANKS = {"lstm2.weight_ih": 3, "lstm2.weight_hh": 2, "fc1.weight": 4, "fc2.weight": 5}


def test_factored_matrices_have_rank_at_most_r(baseline):
    model, report = factorize(baseline, LowRankConfig(ranks=RANKS))
    sd = model.state_dict()
    for name, r in RANKS.items():
        w = sd[f"{name}_U"] @ sd[f"{name}_V"]
        assert torch.linalg.matrix_rank(w) <= r
        assert report[name]["rank"] == r
        assert sd[f"{name}_U"].shape[1] == r


def test_energy_is_the_kept_share_of_squared_singular_values(baseline):
    _, report = factorize(baseline, LowRankConfig(ranks={"lstm2.weight_hh": 5}))
    s = torch.linalg.svdvals(baseline.lstm2.weight_hh_l0.detach().double())
    expected = float((s[:5] ** 2).sum() / (s**2).sum())
    assert report["lstm2.weight_hh"]["energy"] == pytest.approx(expected, rel=1e-9)
    assert 0 < report["lstm2.weight_hh"]["energy"] < 1


def test_energy_target_picks_the_smallest_rank_reaching_it(baseline):
    w = baseline.fc1.weight
    r = rank_for_energy(w, 0.8)
    _, report = factorize(baseline, LowRankConfig(ranks={}, energy={"fc1.weight": 0.8}))
    assert report["fc1.weight"]["rank"] == r
    assert report["fc1.weight"]["energy"] >= 0.8
    s = torch.linalg.svdvals(w.detach().double())
    assert float((s[: r - 1] ** 2).sum() / (s**2).sum()) < 0.8


def test_full_rank_reproduces_the_baseline(baseline):
    full = {"lstm2.weight_ih": 8, "lstm2.weight_hh": 16, "fc1.weight": 16, "fc2.weight": 12}
    model, report = factorize(baseline, LowRankConfig(ranks=full))
    model.eval()
    x, lengths, _ = batch()
    with torch.no_grad():
        assert torch.allclose(model(x, lengths), baseline(x, lengths), atol=1e-5)
    assert all(r["energy"] == pytest.approx(1.0) for r in report.values())


def test_spec_rebuilds_the_factored_model(baseline):
    model, _ = factorize(baseline, LowRankConfig(ranks=RANKS))
    again = build_model_from_spec(model_spec(model))
    assert isinstance(again, LowRankLSTM)
    again.load_state_dict(model.state_dict())  # same parameter names and shapes


def test_fused_kernel_gives_the_gradients_of_a_cell_loop():
    model, _ = factorize(tiny_baseline(), LowRankConfig(ranks=RANKS))
    layer = model.lstm2
    x = torch.randn(2, 6, 8)
    layer(x).square().sum().backward()
    fused = {n: p.grad.clone() for n, p in layer.named_parameters()}
    layer.zero_grad()
    h = c = torch.zeros(2, 16)
    outs = []
    for t in range(6):
        gates = x[:, t] @ layer.matrix("weight_ih").T + layer.bias_ih
        gates = gates + h @ layer.matrix("weight_hh").T + layer.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    torch.stack(outs, 1).square().sum().backward()
    for n, p in layer.named_parameters():
        assert torch.allclose(p.grad, fused[n], atol=1e-5), n


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="cannot factor 'lstm1.weight_hh'"):
        LowRankConfig(ranks={"lstm1.weight_hh": 4})
    with pytest.raises(ValueError, match="rank of fc1.weight"):
        LowRankConfig(ranks={"fc1.weight": 0})


def test_a_rank_above_the_matrix_rank_is_clamped():
    model, report = factorize(tiny_baseline(), LowRankConfig(ranks={"fc2.weight": 192}))
    assert report["fc2.weight"]["rank"] == 12 == model.fc2.weight_U.shape[1]  # 12 classes
