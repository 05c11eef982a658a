"""SVD reconstruction: rank <= r, energy reported, exact at full rank, same gradients."""

from __future__ import annotations

import itertools

import pytest
import torch
from compress_helpers import batch, tiny_baseline

from trainer.compress.svd import LowRankConfig, LowRankLSTM, factorize, rank_for_energy
from trainer.model import build_model_from_spec, decimate, model_spec

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
    layer(x)[0].square().sum().backward()
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
    with pytest.raises(ValueError, match="stride2"):
        LowRankConfig(stride2=0)
    with pytest.raises(ValueError, match="stride2"):
        tiny_baseline(stride2=0)
    with pytest.raises(ValueError, match="cannot factor 'lstm1.weight_hh'"):
        LowRankConfig(ranks={"lstm1.weight_hh": 4})
    with pytest.raises(ValueError, match="rank of fc1.weight"):
        LowRankConfig(ranks={"fc1.weight": 0})


def test_a_rank_above_the_matrix_rank_is_clamped():
    model, report = factorize(tiny_baseline(), LowRankConfig(ranks={"fc2.weight": 192}))
    assert report["fc2.weight"]["rank"] == 12 == model.fc2.weight_U.shape[1]  # 12 classes


def test_decimation_keeps_every_stride_th_step_ending_at_the_last_point():
    h = torch.arange(9.0)[None, :, None].expand(5, 9, 2)
    lengths = torch.tensor([1, 2, 6, 7, 9])
    out, kept = decimate(h, lengths, 2)
    assert kept.tolist() == [1, 1, 3, 4, 5]
    for row, n, last in zip(out[:, :, 0], kept.tolist(), lengths.tolist(), strict=True):
        steps = row[:n].tolist()
        assert steps[-1] == last - 1 and all(b - a == 2 for a, b in itertools.pairwise(steps))
    assert decimate(h, lengths, 1)[0] is h


@pytest.mark.parametrize("stride", [2, 3])
def test_a_strided_model_reads_a_padded_batch_as_each_sequence_alone(stride):
    base = tiny_baseline(pooling="last", stride2=stride).eval()
    model, _ = factorize(tiny_baseline(pooling="last"), LowRankConfig(ranks=RANKS, stride2=stride))
    assert model.config.stride2 == stride
    x, lengths, _ = batch(size=6, steps=11)
    for m in (base, model.eval()):
        with torch.no_grad():
            together = m(x, lengths)
            for b, n in enumerate(lengths.tolist()):
                alone = m(x[b : b + 1, :n], lengths[b : b + 1])
                assert torch.allclose(alone[0], together[b], atol=1e-6)
    again = build_model_from_spec(model_spec(model))
    assert again.config.stride2 == stride
