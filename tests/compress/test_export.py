"""ONNX export of every stage equals PyTorch (max |diff| < 1e-4) on a batch of mixed lengths."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from compress_helpers import batch, sgd_steps, tiny_baseline

from engine.manifest import PACKAGE_LOCATION
from trainer.compress.export import externalize, to_onnx
from trainer.compress.prune import AdaptiveDropWeight, PruneConfig
from trainer.compress.quantize import KMeansQuantizer, QuantConfig
from trainer.compress.svd import LowRankConfig, factorize

RANKS = {"lstm2.weight_ih": 4, "lstm2.weight_hh": 3, "fc2.weight": 6}


def stages(pooling: str) -> dict[str, torch.nn.Module]:
    base = tiny_baseline(pooling=pooling)
    svd, _ = factorize(base, LowRankConfig(ranks=RANKS))
    pruned, _ = factorize(base, LowRankConfig(ranks=RANKS))
    adw = AdaptiveDropWeight(
        PruneConfig(sparsity={"fc1": 0.7, "fc2": 0.6, "lstm2": 0.4}, increments=1)
    )
    sgd_steps(pruned, [adw], steps=2)
    adw.finalize(pruned)
    quant, _ = factorize(base, LowRankConfig(ranks={"lstm2.weight_hh": 2}))
    quant.load_state_dict(quant.state_dict())
    sharing = KMeansQuantizer(QuantConfig(clusters={"lstm1": 8, "fc2": 4}))
    sgd_steps(quant, [sharing], steps=2)
    sharing.finalize(quant)
    dense_ih, _ = factorize(base, LowRankConfig(ranks={"lstm2.weight_hh": 5}))
    dense_hh, _ = factorize(base, LowRankConfig(ranks={"lstm2.weight_ih": 5, "fc1.weight": 3}))
    stride2, _ = factorize(base, LowRankConfig(ranks=RANKS, stride2=2))
    stride3_dense_hh, _ = factorize(base, LowRankConfig(ranks={"lstm2.weight_ih": 5}, stride2=3))
    return {
        "baseline": base,
        "svd": svd,
        "prune": pruned,
        "quant": quant,
        "dense_ih": dense_ih,
        "dense_hh": dense_hh,
        "stride2": stride2,
        "stride3_dense_hh": stride3_dense_hh,
        "baseline_stride2": tiny_baseline(pooling=pooling, stride2=2),
    }


def run(
    onnx_bytes: bytes, x: torch.Tensor, lengths: torch.Tensor, so: ort.SessionOptions | None = None
) -> np.ndarray:
    s = ort.InferenceSession(onnx_bytes, so, providers=["CPUExecutionProvider"])
    return s.run(["logits"], {"features": x.numpy(), "lengths": lengths.numpy()})[0]


@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_onnx_equals_pytorch_at_every_stage(pooling):
    x, lengths, _ = batch(size=5, steps=13)
    for name, model in stages(pooling).items():
        model.eval()
        with torch.no_grad():
            ref = model(x, lengths).numpy()
        got = run(to_onnx(model).SerializeToString(), x, lengths)
        assert got.shape == ref.shape
        assert np.abs(got - ref).max() < 1e-4, name


def test_dynamic_batch_and_time():
    model = stages("mean")["svd"].eval()
    data = to_onnx(model).SerializeToString()
    for size, steps in ((1, 70), (3, 2)):
        x, lengths, _ = batch(size=size, steps=steps)
        with torch.no_grad():
            assert np.abs(run(data, x, lengths) - model(x, lengths).numpy()).max() < 1e-4


def test_dynamic_batch_and_time_with_a_time_stride():
    model = stages("last")["stride2"].eval()
    data = to_onnx(model).SerializeToString()
    for size, steps in ((1, 70), (1, 69), (6, 12), (2, 3)):
        x, lengths, _ = batch(size=size, steps=steps)
        with torch.no_grad():
            assert np.abs(run(data, x, lengths) - model(x, lengths).numpy()).max() < 1e-4


def test_factored_lstm_is_a_scan_of_nine_nodes_per_step():
    proto = to_onnx(stages("mean")["svd"])
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("LSTM") == 1 and ops.count("Scan") == 1
    scan = next(n for n in proto.graph.node if n.op_type == "Scan")
    body = [n.op_type for n in scan.attribute[0].g.node]
    # The input projection is outside; inside: the two gate Gemms (each followed by its
    # activation, which onnxruntime fuses), h V_hh^T, and the cell arithmetic.
    assert sorted(body) == sorted(
        ["Gemm", "Sigmoid", "Gemm", "Tanh", "Split", "Mul", "Mul", "Add", "Tanh", "Mul", "MatMul"]
    )


def test_externalized_initializers_are_fed_by_the_caller():
    model = stages("mean")["quant"].eval()
    tensors = {n: t.numpy().copy() for n, t in model.state_dict().items()}
    data = externalize(to_onnx(model), list(tensors))
    proto = onnx.load_from_string(data)
    ext = [t for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert {t.name for t in ext} == set(tensors)
    assert all(t.external_data[0].value == PACKAGE_LOCATION and not t.raw_data for t in ext)
    so = ort.SessionOptions()
    values = [ort.OrtValue.ortvalue_from_numpy(v) for v in tensors.values()]
    so.add_external_initializers(list(tensors), values)
    x, lengths, _ = batch()
    with torch.no_grad():
        assert np.abs(run(data, x, lengths, so) - model(x, lengths).numpy()).max() < 1e-4
    with pytest.raises(ValueError, match="no initializer named"):
        externalize(to_onnx(model), ["nope"])


def test_embedding_output_is_the_first_fc_layer_after_its_relu():
    """Issue 28: the second output is what the logits are computed from, at every stage."""
    x, lengths, _ = batch(size=4, steps=11)
    seen: list[torch.Tensor] = []
    for name, model in stages("mean").items():
        model.eval()
        seen.clear()
        hook = model.fc1.register_forward_hook(lambda _m, _i, out: seen.append(torch.relu(out)))
        with torch.no_grad():
            model(x, lengths)
        hook.remove()
        s = ort.InferenceSession(
            to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"]
        )
        logits, embedding = s.run(
            ["logits", "embedding"], {"features": x.numpy(), "lengths": lengths.numpy()}
        )
        assert embedding.shape == (4, model.config.fc), name
        assert np.abs(embedding - seen[0].numpy()).max() < 1e-4, name
        assert (embedding >= 0).all() and logits.shape[0] == 4
