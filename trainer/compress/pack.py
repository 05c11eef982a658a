"""Write a model as a Xiezi package (engine.package): every weight encoded as compactly as exact.

Each state_dict tensor becomes an external initializer of the ONNX graph and is stored with the
encoding of engine.weights that decodes to exactly its values in the fewest bytes once the
package's LZMA has compressed it: relative indices + codes + codebook for a pruned and
quantized matrix (Han et al.'s Deep Compression storage), codes + codebook for a quantized
one, float32 for the rest (biases, unquantized layers). Codes a byte each usually win: LZMA
then entropy-codes them, as Deep Compression's Huffman stage does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from engine.package import load_package, npy_bytes, stored_size, write_package
from engine.preprocess import PreprocessConfig
from engine.weights import ENCODINGS, MAX_CODEBOOK, encode_tensor
from trainer.compress.export import externalize, ordered_state, to_onnx

logger = logging.getLogger(__name__)

#: Encodings tried for a tensor of at most MAX_CODEBOOK distinct values.
_SHARED = tuple(e for e in ENCODINGS if "kmeans" in e)


def model_tensors(model: nn.Module) -> dict[str, np.ndarray]:
    """The model's state_dict as float32 numpy arrays (the ONNX initializers, by name), in
    ``ordered_state``'s order."""
    return {
        n: t.detach().cpu().numpy().astype(np.float32, copy=True) for n, t in ordered_state(model)
    }


def encoded_size(w: np.ndarray, encoding: str) -> int:
    """Bytes ``w`` takes in a package stored with ``encoding`` (its members, compressed).

    Raises:
        ValueError: ``w`` cannot be stored with ``encoding`` (engine.weights.encode_tensor).
    """
    fields = encode_tensor(w, encoding)
    return sum(stored_size(npy_bytes(a)) for a in fields.values())


def choose_encoding(w: np.ndarray) -> str:
    """The engine encoding that stores ``w`` exactly in the fewest compressed bytes (ties: the
    first of "dense" then _SHARED)."""
    if w.ndim < 2 or len(np.unique(w)) > MAX_CODEBOOK + 1:
        return "dense"
    best, best_size = "dense", encoded_size(w, "dense")
    for enc in _SHARED:
        try:
            size = encoded_size(w, enc)
        except ValueError:  # too many distinct values for this encoding
            continue
        if size < best_size:
            best, best_size = enc, size
    return best


def write_model_package(
    path: str | Path,
    model: nn.Module,
    charset: str,
    preprocess: PreprocessConfig,
    info: dict[str, Any],
    encodings: dict[str, str] | None = None,
) -> dict[str, str]:
    """Export ``model`` to ONNX and write it with its weights as a package at ``path``.

    Args:
        encodings: per tensor name; the tensors not named get choose_encoding().
    Returns:
        The encoding of every tensor.
    """
    was_training = model.training
    model.eval()
    try:
        proto = to_onnx(model)
    finally:
        model.train(was_training)
    tensors = model_tensors(model)
    chosen = {n: choose_encoding(w) for n, w in tensors.items()}
    chosen.update(encodings or {})
    onnx_bytes = externalize(proto, list(tensors))
    write_package(path, onnx_bytes, charset, preprocess, tensors, chosen, info)
    logger.info("wrote %s (%d bytes)", path, Path(path).stat().st_size)
    return chosen


def repack_package(src: str | Path, dst: str | Path) -> dict[str, str]:
    """Write the package ``src`` again at ``dst`` with each tensor in choose_encoding()'s
    encoding: the same graph, charset, preprocessing, info and decoded weights, bit for bit
    (a package written before an encoding existed gets smaller).

    Returns:
        The encoding of every tensor.
    Raises:
        engine.errors.ModelLoadError: ``src`` is not a package this engine loads.
    """
    package = load_package(src)
    chosen = {n: choose_encoding(np.asarray(w)) for n, w in package.tensors.items()}
    write_package(
        dst,
        package.onnx_bytes,
        package.charset,
        package.preprocess,
        package.tensors,
        chosen,
        package.info,
    )
    logger.info("repacked %s -> %s (%d bytes)", src, dst, Path(dst).stat().st_size)
    return chosen
