"""Encode / decode of stored tensors: dense, k-means codes, and sparse + k-means codes.

The sparse form follows Han, Mao, Dally, "Deep Compression" (ICLR 2016), Sec. 2-3: the
positions of the non-zero weights as *relative* indices (the gap from the previous non-zero,
in 8 or 4 bits), and each non-zero weight as a cluster code (ceil(log2 k) bits) into a
float32 codebook of k <= 256 shared values. A gap too large for the index width is bridged
by filler entries; here a filler is the stored gap 0 (a real gap is never 0), which advances
by the largest gap and carries no value, so the codebook holds non-zero values only.

The ``*_bytes`` encodings store the codes a byte each instead: the package's LZMA then
entropy-codes them (Deep Compression's Huffman stage), which 5- or 6-bit packing hides from
it; trainer.compress.pack keeps whichever is smaller once compressed.

Pure numpy. ``decode_tensor(encode_tensor(w, e), e, w.shape)`` equals ``w`` exactly for a
float32 tensor (dense_fp16: for one whose values float16 holds); -0.0 decodes as 0.0.
"""

from __future__ import annotations

import math

import numpy as np

#: Encodings a package may name, each with the fields it stores:
#: dense: values (float32; integer tensors keep their dtype);
#: dense_fp16: values (float16, decoded to float32);
#: kmeans: codebook (k,) float32 of the distinct values, codes (bit-packed), meta;
#: sparse_kmeans / sparse_kmeans4: codebook of the distinct non-zero values, codes, gaps
#: (relative indices, uint8 or two 4-bit gaps per byte), meta.
#: kmeans_bytes / sparse_kmeans_bytes / sparse_kmeans4_bytes: the same with a byte per code.
ENCODINGS = (
    "dense",
    "dense_fp16",
    "kmeans",
    "sparse_kmeans",
    "sparse_kmeans4",
    "kmeans_bytes",
    "sparse_kmeans_bytes",
    "sparse_kmeans4_bytes",
)
#: Most entries a codebook may hold (codes fit in one byte before packing).
MAX_CODEBOOK = 256

_GAP_BITS = {
    "sparse_kmeans": 8,
    "sparse_kmeans4": 4,
    "sparse_kmeans_bytes": 8,
    "sparse_kmeans4_bytes": 4,
}
_BYTES = "_bytes"
_INT_KINDS = "iub"


def encode_tensor(w: np.ndarray, encoding: str) -> dict[str, np.ndarray]:
    """Encode one tensor; returns field name -> array, each safe for np.save without pickle.

    Raises:
        ValueError: an unknown encoding, a non-numeric tensor, NaN / infinity in a k-means
            encoding, or more distinct (non-zero) values than MAX_CODEBOOK.
    """
    w = np.asarray(w)
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    if w.dtype.kind not in "f" + _INT_KINDS:
        raise ValueError(f"cannot encode a tensor of dtype {w.dtype}")
    if encoding == "dense":
        values = w if w.dtype.kind in _INT_KINDS else w.astype(np.float32)
        return {"values": np.ascontiguousarray(values).reshape(-1)}
    if w.dtype.kind != "f":
        raise ValueError(f"encoding {encoding!r} needs a float tensor, got {w.dtype}")
    flat = w.astype(np.float32).reshape(-1)
    if encoding == "dense_fp16":
        return {"values": flat.astype(np.float16)}
    if not np.isfinite(flat).all():
        raise ValueError(f"encoding {encoding!r} needs finite values; the tensor has NaN or inf")
    if encoding.startswith("kmeans"):
        codebook, codes = _codebook(flat, encoding)
        bits = _code_width(len(codebook), encoding)
        meta = np.array([flat.size, bits], dtype=np.int64)
        return {"codebook": codebook, "codes": pack_bits(codes, bits), "meta": meta}
    gap_bits = _GAP_BITS[encoding]
    pos = np.flatnonzero(flat)
    codebook, codes = _codebook(flat[pos], encoding)
    bits = _code_width(len(codebook), encoding)
    gaps = _relative_indices(pos, gap_bits)
    meta = np.array([flat.size, len(pos), len(gaps), bits, gap_bits], dtype=np.int64)
    return {
        "codebook": codebook,
        "codes": pack_bits(codes, bits),
        "gaps": gaps if gap_bits == 8 else pack_bits(gaps, gap_bits),
        "meta": meta,
    }


def decode_tensor(
    fields: dict[str, np.ndarray], encoding: str, shape: tuple[int, ...]
) -> np.ndarray:
    """Rebuild the tensor of ``shape`` from its fields (as encode_tensor made them).

    Raises:
        ValueError: an unknown encoding, a missing field, or fields that do not fit together
            or do not fill ``shape`` (a corrupt package).
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    shape = tuple(int(d) for d in shape)
    size = math.prod(shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"bad shape {shape}")
    needed: tuple[str, ...] = (
        ("values",) if encoding.startswith("dense") else ("codebook", "codes", "meta")
    )
    if encoding in _GAP_BITS:
        needed += ("gaps",)
    missing = [f for f in needed if f not in fields]
    if missing:
        raise ValueError(f"encoding {encoding!r} lacks field(s) {', '.join(missing)}")
    if encoding.startswith("dense"):
        values = np.asarray(fields["values"])
        if values.size != size:
            raise ValueError(f"{values.size} stored values do not fill shape {shape}")
        if encoding == "dense_fp16" or values.dtype.kind == "f":
            values = values.astype(np.float32)
        return values.reshape(shape)
    codebook = np.asarray(fields["codebook"], dtype=np.float32).reshape(-1)
    meta = np.asarray(fields["meta"]).reshape(-1).astype(np.int64).tolist()
    if not 1 <= len(codebook) <= MAX_CODEBOOK:
        raise ValueError(f"codebook has {len(codebook)} entries; 1 to {MAX_CODEBOOK} allowed")
    if encoding.startswith("kmeans"):
        if len(meta) != 2 or meta[0] != size or meta[1] != _code_width(len(codebook), encoding):
            raise ValueError(f"kmeans header {meta} does not match shape {shape}")
        codes = unpack_bits(fields["codes"], meta[1], size)
        _check_codes(codes, len(codebook))
        weights: np.ndarray = codebook[codes].reshape(shape)
        return weights
    if len(meta) != 5 or meta[0] != size or meta[4] != _GAP_BITS[encoding]:
        raise ValueError(f"{encoding} header {meta} does not match shape {shape}")
    _, count, n_gaps, bits, gap_bits = meta
    if bits != _code_width(len(codebook), encoding):
        raise ValueError(f"{bits}-bit codes do not fit a codebook of {len(codebook)}")
    raw = np.asarray(fields["gaps"])
    gaps = raw.reshape(-1).astype(np.uint8) if gap_bits == 8 else unpack_bits(raw, 4, n_gaps)
    if len(gaps) != n_gaps:
        raise ValueError(f"{len(gaps)} relative indices stored, header says {n_gaps}")
    real = gaps != 0
    if int(real.sum()) != count:
        raise ValueError(f"{int(real.sum())} non-zero entries stored, header says {count}")
    step = np.where(real, gaps.astype(np.int64), (1 << gap_bits) - 1)
    pos = (np.cumsum(step) - 1)[real]
    if count and pos[-1] >= size:
        raise ValueError(f"a non-zero position ({pos[-1]}) lies outside shape {shape}")
    codes = unpack_bits(fields["codes"], bits, count)
    _check_codes(codes, len(codebook))
    out = np.zeros(size, dtype=np.float32)
    out[pos] = codebook[codes]
    return out.reshape(shape)


def pack_bits(values: np.ndarray, bits: int) -> np.ndarray:
    """Pack unsigned ints < 2**bits (1 <= bits <= 8) into bytes, big-endian bit order."""
    if not 1 <= bits <= 8:
        raise ValueError(f"bits must be 1..8, got {bits}")
    v = np.asarray(values, dtype=np.uint8).reshape(-1, 1)
    return np.packbits(np.unpackbits(v, axis=1)[:, 8 - bits :].reshape(-1))


def unpack_bits(packed: np.ndarray, bits: int, count: int) -> np.ndarray:
    """Inverse of pack_bits: the first ``count`` values, as uint8."""
    if not 1 <= bits <= 8:
        raise ValueError(f"bits must be 1..8, got {bits}")
    packed = np.asarray(packed).reshape(-1)
    if count < 0 or packed.size != -(-count * bits // 8):  # before unpacking 8 bits a byte
        raise ValueError(f"{packed.size} bytes do not hold {count} {bits}-bit values")
    flat = np.unpackbits(packed.astype(np.uint8))
    b = flat[: count * bits].reshape(count, bits)
    full = np.zeros((count, 8), dtype=np.uint8)
    full[:, 8 - bits :] = b
    return np.packbits(full, axis=1).reshape(-1)


def _codebook(values: np.ndarray, encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (sorted, float32) and the code of each value."""
    codebook, codes = np.unique(values, return_inverse=True)
    if len(codebook) > MAX_CODEBOOK:
        what = "non-zero values" if encoding in _GAP_BITS else "values"
        raise ValueError(
            f"encoding {encoding!r} allows at most {MAX_CODEBOOK} distinct {what}, the "
            f"tensor has {len(codebook)}: quantize it first (k-means, k <= {MAX_CODEBOOK})"
        )
    if len(codebook) == 0:
        codebook = np.zeros(1, dtype=np.float32)  # an all-zero tensor still has a codebook
    return codebook.astype(np.float32), codes.reshape(-1).astype(np.uint8)


def _code_bits(k: int) -> int:
    return max(1, math.ceil(math.log2(k))) if k > 1 else 1


def _code_width(k: int, encoding: str) -> int:
    """Bits a code takes in ``encoding`` for a codebook of k entries."""
    return 8 if encoding.endswith(_BYTES) else _code_bits(k)


def _relative_indices(pos: np.ndarray, gap_bits: int) -> np.ndarray:
    """Gaps from the previous non-zero (the first from position -1), with 0 as filler."""
    top = (1 << gap_bits) - 1
    gaps = np.diff(pos, prepend=-1)
    fillers = (gaps - 1) // top  # fillers advance by `top` each; the real gap is then 1..top
    rest = gaps - fillers * top
    out = np.zeros(int(fillers.sum()) + len(pos), dtype=np.uint8)
    real_at = np.cumsum(fillers + 1) - 1
    out[real_at] = rest
    return out


def _check_codes(codes: np.ndarray, k: int) -> None:
    if len(codes) and int(codes.max()) >= k:
        raise ValueError(f"a code ({int(codes.max())}) points past the codebook of {k}")
