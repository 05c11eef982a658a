"""The package decodes (engine) to exactly the weights of the PyTorch model."""

from __future__ import annotations

import numpy as np
import torch
from compress_helpers import batch, sgd_steps, tiny_baseline

from engine.package import load_package
from engine.preprocess import PreprocessConfig
from engine.recognizer import Recognizer
from engine.weights import ENCODINGS, decode_tensor, encode_tensor
from trainer.compress.pack import (
    choose_encoding,
    encoded_size,
    repack_package,
    write_model_package,
)
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
    for n, t in state.items():  # each matrix in the encoding of fewest stored bytes
        if t.dim() == 2:
            assert encoded_size(t.numpy(), encodings[n]) == smallest(t.numpy()), n
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
    sparse = rng.integers(1, 4, (256, 256)) * (rng.random((256, 256)) < 0.01)
    assert choose_encoding(sparse.astype(np.float32)).startswith("sparse_kmeans")


def smallest(w: np.ndarray) -> int:
    """The fewest stored bytes of ``w`` over every encoding that holds it exactly."""
    sizes = []
    for enc in ENCODINGS:
        try:
            exact = np.array_equal(decode_tensor(encode_tensor(w, enc), enc, w.shape), w)
        except ValueError:
            continue
        if exact:
            sizes.append(encoded_size(w, enc))
    return min(sizes)


def test_choice_is_the_fewest_compressed_bytes_of_all_encodings():
    # skewed 6-bit codes: packed they hide their entropy from LZMA, a byte each they do not
    rng = np.random.default_rng(3)
    centroids = rng.normal(0, 0.1, 40).astype(np.float32)
    probs = np.exp(-np.arange(40) / 6.0)
    w = centroids[rng.choice(40, size=(96, 96), p=probs / probs.sum())]
    w = np.where(rng.random(w.shape) < 0.3, w, np.float32(0)).astype(np.float32)
    chosen = choose_encoding(w)
    assert encoded_size(w, chosen) == smallest(w)
    assert chosen.endswith("_bytes")
    assert encoded_size(w, chosen) < 0.95 * encoded_size(w, chosen.removesuffix("_bytes"))


def test_repack_keeps_every_weight_and_shrinks_a_packed_package(tmp_path):
    model = compressed_model()
    old = tmp_path / "old.xiezi"
    packed = {n: "sparse_kmeans" for n, t in model.state_dict().items() if t.dim() == 2}
    write_model_package(old, model, CHARSET, PreprocessConfig(), {"stage": "quant"}, packed)
    new = tmp_path / "new.xiezi"
    chosen = repack_package(old, new)
    a, b = load_package(old), load_package(new)
    assert a.onnx_bytes == b.onnx_bytes and a.charset == b.charset and a.info == b.info
    for name, w in a.tensors.items():
        assert np.array_equal(b.tensors[name], w), name
    assert b.encodings == chosen
    assert new.stat().st_size <= old.stat().st_size


def test_regenerate_repack_names_a_broken_package_and_leaves_it(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "resources" / "model" / "regenerate.py"
    shutil.copy(script, tmp_path / "regenerate.py")
    (tmp_path / "xiezi-gb1.xiezi").write_bytes(b"junk")
    env_root = str(script.parents[2])
    r = subprocess.run(
        [sys.executable, str(tmp_path / "regenerate.py"), "--repack"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": env_root, "PATH": "/usr/bin:/bin", "OMP_WAIT_POLICY": "PASSIVE"},
    )
    assert r.returncode == 2
    assert "cannot repack" in r.stderr and "not a zip archive" in r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "xiezi-gb1.xiezi").read_bytes() == b"junk"
