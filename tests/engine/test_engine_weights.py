"""The tensor codec: exact round trips, Deep Compression's relative indices, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from engine.weights import ENCODINGS, decode_tensor, encode_tensor, pack_bits, unpack_bits


def quantized(shape: tuple[int, ...], k: int, density: float, seed: int = 0) -> np.ndarray:
    """A pruned, k-means-quantized tensor: at most k distinct non-zero float32 values."""
    rng = np.random.default_rng(seed)
    centroids = rng.normal(0, 0.1, k).astype(np.float32)
    w = centroids[rng.integers(0, k, shape)]
    return np.where(rng.random(shape) < density, w, np.float32(0)).astype(np.float32)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    ("shape", "k", "density"),
    [
        ((40, 30), 16, 0.1),
        ((7,), 1, 1.0),
        ((3, 4, 5), 256, 0.5),
        ((600,), 3, 0.002),
        ((0,), 2, 1),
        ((5, 9), 2, 0.0),
    ],
)
def test_round_trip_is_exact(encoding: str, shape: tuple[int, ...], k: int, density: float) -> None:
    w = quantized(shape, k, density)
    if encoding == "dense_fp16":
        w = w.astype(np.float16).astype(np.float32)
    fields = encode_tensor(w, encoding)
    back = decode_tensor(fields, encoding, shape)
    assert back.dtype == np.float32 and back.shape == shape
    assert np.array_equal(back, w)


@pytest.mark.parametrize(("encoding", "top"), [("sparse_kmeans", 255), ("sparse_kmeans4", 15)])
def test_long_gaps_use_filler_entries(encoding: str, top: int) -> None:
    w = np.zeros(5000, dtype=np.float32)
    pos = [0, top - 1, top, 2 * top + 1, 4999]
    w[pos] = [1.0, -2.0, 3.0, 1.0, -2.0]
    fields = encode_tensor(w, encoding)
    count, n_gaps = int(fields["meta"][1]), int(fields["meta"][2])
    assert count == len(pos)
    # gaps from position -1: 1, top-1, 1, top+1 (1 filler), 4999-2*top-1 (fillers)
    expected_fillers = 1 + (4999 - (2 * top + 1) - 1) // top
    assert n_gaps == count + expected_fillers
    assert np.array_equal(decode_tensor(fields, encoding, w.shape), w)


def test_codes_are_bit_packed_and_sparse_is_small() -> None:
    w = quantized((512, 512), 16, 0.05, seed=1)
    sparse = encode_tensor(w, "sparse_kmeans")
    nnz = int(np.count_nonzero(w))
    assert sparse["codes"].nbytes == (nnz * 4 + 7) // 8  # 16 clusters: 4 bits per code
    assert sparse["codebook"].shape == (16,)
    total = sum(a.nbytes for a in sparse.values())
    assert total < 0.05 * w.nbytes  # vs float32 dense: ~1.6 bytes per non-zero of 5%
    kmeans = encode_tensor(w, "kmeans")
    assert kmeans["codes"].nbytes == (w.size * 5 + 7) // 8  # 16 values and 0: 5 bits


def test_too_many_distinct_values_is_a_value_error() -> None:
    w = np.arange(1, 300, dtype=np.float32)
    with pytest.raises(ValueError, match="at most 256 distinct non-zero values"):
        encode_tensor(w, "sparse_kmeans")
    with pytest.raises(ValueError, match="at most 256 distinct values"):
        encode_tensor(w, "kmeans")
    assert np.array_equal(decode_tensor(encode_tensor(w, "dense"), "dense", w.shape), w)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown encoding"):
        encode_tensor(np.zeros(3), "zip")
    with pytest.raises(ValueError, match="finite"):
        encode_tensor(np.array([1.0, np.nan]), "kmeans")
    with pytest.raises(ValueError, match="float tensor"):
        encode_tensor(np.arange(3), "sparse_kmeans")
    with pytest.raises(ValueError, match="dtype"):
        encode_tensor(np.array(["a"]), "dense")


def test_integer_dense_keeps_dtype() -> None:
    w = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert decode_tensor(encode_tensor(w, "dense"), "dense", (2, 3)).dtype == np.int64


SHARED = [e for e in ENCODINGS if "kmeans" in e]


def test_byte_codes_take_a_byte_each_and_say_so() -> None:
    w = quantized((64, 64), 20, 0.3, seed=2)
    nnz = int(np.count_nonzero(w))
    for encoding in ("sparse_kmeans_bytes", "sparse_kmeans4_bytes"):
        fields = encode_tensor(w, encoding)
        assert fields["codes"].nbytes == nnz and int(fields["meta"][3]) == 8
    dense = encode_tensor(w, "kmeans_bytes")
    assert dense["codes"].nbytes == w.size and dense["meta"].tolist() == [w.size, 8]
    # a header claiming packed codes where bytes are stored is refused
    packed = dict(dense, meta=np.array([w.size, 5], dtype=np.int64))
    with pytest.raises(ValueError, match="header"):
        decode_tensor(packed, "kmeans_bytes", w.shape)


@pytest.mark.parametrize("encoding", SHARED)
def test_corrupt_fields_are_value_errors(encoding: str) -> None:
    w = quantized((20, 20), 8, 0.3)
    fields = encode_tensor(w, encoding)
    with pytest.raises(ValueError, match="shape"):
        decode_tensor(fields, encoding, (21, 20))
    with pytest.raises(ValueError, match="lacks"):
        decode_tensor({k: v for k, v in fields.items() if k != "codes"}, encoding, (20, 20))
    short = dict(fields, codes=fields["codes"][:-2])
    with pytest.raises(ValueError):
        decode_tensor(short, encoding, (20, 20))
    small_book = dict(fields, codebook=fields["codebook"][:5])
    with pytest.raises(ValueError):
        decode_tensor(small_book, encoding, (20, 20))


@pytest.mark.parametrize("bits", range(1, 9))
def test_pack_bits_round_trip(bits: int) -> None:
    v = np.random.default_rng(bits).integers(0, 1 << bits, 37).astype(np.uint8)
    packed = pack_bits(v, bits)
    assert packed.nbytes == (37 * bits + 7) // 8
    assert np.array_equal(unpack_bits(packed, bits, 37), v)
