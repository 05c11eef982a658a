"""The package decodes (engine) to exactly the weights of the PyTorch model."""

from __future__ import annotations

import numpy as np
import torch
from compress_helpers import batch, sgd_steps, tiny_baseline

from engine.package import load_package
from engine.preprocess import PreprocessConfig
from engine.recognizer import Recognizer
from trainer.compress.pack import choose_encoding, write_model_package
from trainer.compress.prune import AdaptiveDropWeight, PruneConfig
from trainer.compress.quantize import KMeansQuantizer, QuantConfig
from trainer.compress.svd import LowRankConfig, factorize

CHARSET = "一二三四五六七八九十上下"


def compressed_model():
    model, _ = factorize(tiny_baseline(), LowRankConfig(ranks={"lstm2.weight_hh": 3}))
    adw = AdaptiveDropWeight(PruneConfig(sparsity={"fc1": 0.8, "fc2": 0.7}, increments=1))
    sgd_steps(model, [adw], steps=2)
    adw.finalize(model)
    quant = KMeansQuantizer(QuantConfig(clusters={"lstm1": 8, "lstm2": 16, "fc1": 4, "fc2": 4}))
    sgd_steps(model, [quant], steps=2)
    quant.finalize(model)
    return model


def test_package_decodes_to_exactly_the_model_weights(tmp_path):
    model = compressed_model()
    path = tmp_path / "m.xiezi"
    encodings = write_model_package(path, model, CHARSET, PreprocessConfig(), {"stage": "quant"})
    package = load_package(path)
    state = model.state_dict()
    assert set(package.tensors) == set(state)
    for name, t in state.items():
        assert np.array_equal(package.tensors[name], t.numpy()), name
    shared = ("kmeans", "sparse_kmeans", "sparse_kmeans4")
    assert all(encodings[n] in shared for n, t in state.items() if t.dim() == 2)
    assert encodings["fc2.bias"] == "dense"
    assert package.encodings == encodings and package.info == {"stage": "quant"}


def test_engine_output_equals_pytorch(tmp_path):
    model = compressed_model().eval()
    path = tmp_path / "m.xiezi"
    write_model_package(path, model, CHARSET, PreprocessConfig(), {})
    x, lengths, _ = batch(size=1, steps=9)
    with torch.no_grad():
        probs = torch.softmax(model(x, lengths), dim=1)[0].numpy()
    cands = Recognizer(path).recognize_features(x[0].numpy(), n=3)
    top = np.argsort(-probs)[:3]
    assert [c.char for c in cands] == [CHARSET[i] for i in top]
    assert np.allclose([c.prob for c in cands], probs[top], atol=1e-5)


def test_choose_encoding_is_the_smallest_exact_one():
    rng = np.random.default_rng(0)
    assert choose_encoding(rng.standard_normal((8, 8)).astype(np.float32)) == "dense"
    assert choose_encoding(np.zeros(5, dtype=np.float32)) == "dense"  # biases stay float32
    codes = rng.integers(0, 4, (64, 64)).astype(np.float32)
    assert choose_encoding(codes) == "kmeans"
    sparse = codes * (rng.random((64, 64)) < 0.1)
    assert choose_encoding(sparse).startswith("sparse_kmeans")
