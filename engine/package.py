"""The model package (``*.xiezi``): a zip of manifest.json, model.onnx and encoded tensors.

Format in docs/architecture.md. Format 2 (issue 17): ``package.sha256`` holds one digest
over every other member, manifest included, checked before anything is parsed; the manifest
also lists each member's sha256, to name a damaged one. Sizes are bounded before they are
allocated (engine.archive). Tensors are .npy files read with ``allow_pickle=False``; the
tensors the manifest lists are EXTERNAL initializers of model.onnx, at ``__xiezi_package__``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from engine import strict_json
from engine.archive import content_digest, load_npy, read_file, read_members
from engine.atomic import atomic_open
from engine.errors import ModelLoadError
from engine.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    check_interface,
    check_tensor_set,
    validate_manifest,
)
from engine.onnx_info import ONNX_DTYPES, OnnxSummary, ProtoError, read_onnx_summary
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig
from engine.weights import decode_tensor, encode_tensor

#: Largest manifest.json parsed (the bundled model's is 19 KB: charset, checksums, build info).
MAX_MANIFEST_BYTES = 4 << 20
#: Most bytes the tensors of a package may decode to, checked before decoding (the full
#: GB2312 model decodes to 14 MB; a sparse tensor declaring 1e9 zeros would be 4 GB).
MAX_DECODED_BYTES = 256 << 20
MODEL = "model.onnx"
#: The member holding engine.archive.content_digest() of all the others, manifest included.
DIGEST = "package.sha256"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so equal inputs give byte-equal packages


@dataclass(frozen=True)
class ModelPackage:
    """A loaded, checked model package.

    Attributes:
        path: where it was read from.
        charset: class i is ``charset[i]``.
        preprocess: the preprocessing parameters the model was trained with.
        preprocess_version: engine.preprocess.PREPROCESS_VERSION at training time.
        onnx_bytes: model.onnx, its listed tensors external.
        tensors: decoded tensors by initializer name (read-only arrays).
        encodings: how each tensor was stored.
        info: free-form build information (stage, report row, training figures).
        sha256: hex digest of the whole file (what ``sha256sum`` prints for it).
    """

    path: Path
    charset: str
    preprocess: PreprocessConfig
    preprocess_version: int
    onnx_bytes: bytes
    tensors: dict[str, np.ndarray]
    encodings: dict[str, str]
    info: dict[str, Any]
    sha256: str


def tensor_member(name: str, field: str) -> str:
    """Zip member of one field of one tensor; the name is %-escaped so '/' cannot nest."""
    return f"tensors/{quote(name, safe='')}/{field}.npy"


def write_package(
    path: str | Path,
    onnx_bytes: bytes,
    charset: str,
    preprocess: PreprocessConfig,
    tensors: dict[str, np.ndarray],
    encodings: dict[str, str],
    info: dict[str, Any],
) -> None:
    """Encode ``tensors`` and write the package atomically (temporary file, then os.replace).

    ``tensors`` must be exactly the initializers that ``onnx_bytes`` stores EXTERNAL at
    PACKAGE_LOCATION, with the same shapes; a tensor missing from ``encodings`` is "dense".

    Raises:
        ValueError: arguments that would make a package the engine refuses to load.
        TypeError: preprocess that is not a PreprocessConfig, info that is not a dict.
    """
    if not isinstance(preprocess, PreprocessConfig):
        raise TypeError(f"preprocess must be a PreprocessConfig, got {type(preprocess).__name__}")
    if not isinstance(info, dict):
        raise TypeError(f"info must be a dict, got {type(info).__name__}")
    summary = _summary(onnx_bytes, "onnx_bytes")
    check_interface(summary, charset)
    if not isinstance(charset, str) or len(set(charset)) != len(charset):
        raise ValueError("charset must be a string of distinct characters")
    unknown = sorted(set(encodings) - set(tensors))
    if unknown:
        raise ValueError(f"encodings name tensors that are not given: {unknown}")
    check_tensor_set(summary, {n: tuple(np.shape(t)) for n, t in tensors.items()})
    members: dict[str, bytes] = {MODEL: bytes(onnx_bytes)}
    table: dict[str, dict[str, Any]] = {}
    for name, w in tensors.items():
        encoding = encodings.get(name, "dense")
        if _non_finite(np.asarray(w)):
            raise ValueError(
                f"tensor {name!r} holds NaN or infinite values; the engine refuses such a package"
            )
        try:
            fields = encode_tensor(np.asarray(w), encoding)
        except ValueError as e:
            raise ValueError(f"tensor {name!r}: {e}") from e
        decoded_dtype = ONNX_DTYPES.get(summary.external[name].data_type, "?")
        back = decode_tensor(fields, encoding, tuple(np.shape(w)))
        if str(back.dtype) != decoded_dtype:
            raise ValueError(
                f"tensor {name!r}: encoding {encoding!r} gives {back.dtype}, the graph "
                f"expects {decoded_dtype}"
            )
        table[name] = {"encoding": encoding, "shape": list(np.shape(w)), "dtype": decoded_dtype}
        for field, arr in fields.items():
            members[tensor_member(name, field)] = npy_bytes(arr)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "preprocess_version": PREPROCESS_VERSION,
        "preprocess": preprocess.to_dict(),
        "charset": charset,
        "tensors": table,
        "sha256": {m: hashlib.sha256(b).hexdigest() for m, b in members.items()},
        "info": info,
    }
    try:
        manifest_bytes = dump_manifest(manifest)
    except (TypeError, ValueError) as e:
        raise ValueError(f"info must be JSON-serializable: {e}") from e
    write_members(path, manifest_bytes, members)


def npy_bytes(arr: np.ndarray) -> bytes:
    """A tensor field as the package stores it: a .npy file, without pickle."""
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def stored_size(data: bytes) -> int:
    """Bytes a member of ``data`` takes in the package, compressed as write_members does."""
    # zipfile's own compressor (public in CPython, absent from typeshed): the exact size
    compressor = getattr(zipfile, "LZMACompressor")()  # noqa: B009
    return len(compressor.compress(data)) + len(compressor.flush())


def write_members(path: str | Path, manifest_bytes: bytes, members: dict[str, bytes]) -> None:
    """Write manifest.json, the members and their package.sha256 as a zip, atomically."""
    everything = {MANIFEST: manifest_bytes, **members}
    digest = (content_digest(everything) + "\n").encode("ascii")
    with atomic_open(Path(path), "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_LZMA) as z:
        for member, data in [*everything.items(), (DIGEST, digest)]:
            z.writestr(zipfile.ZipInfo(member, _ZIP_DATE), data, zipfile.ZIP_LZMA)


def dump_manifest(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")


def load_package(
    path: str | Path, expected_sha256: str | None = None, *, any_preprocess: bool = False
) -> ModelPackage:
    """Read and check a package whole: its digest, versions, the ONNX interface, every tensor.

    Args:
        expected_sha256: the sha256 the file must have (the bundled model's, which the
            engine ships beside it); None checks only the package's own digest.
        any_preprocess: read a package of another preprocessing version too, for its
            weights (``trainer finetune``); never run such a package on this engine.
    Raises:
        ModelLoadError: naming the path and the reason, for a missing, unreadable, too
            large, truncated or tampered file, one of the older format 1 (repack it), another
            format or preprocessing version, a charset that does not match the model's
            output, a missing or malformed tensor, preprocessing parameters out of their
            ranges (engine.preprocess), a tensor holding NaN or infinity, or another file
            than expected_sha256.
    """
    path = Path(path)

    def fail(reason: str) -> ModelLoadError:
        return ModelLoadError(f"cannot load model package {path}: {reason}")

    data = read_file(path, fail)
    sha256 = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and sha256 != expected_sha256.lower():
        raise fail(
            f"its sha256 is {sha256[:16]}..., not the {expected_sha256[:16]}... "
            "recorded for it: the file is damaged or was replaced"
        )
    blobs = read_members(data, fail)
    _check_digest(blobs, fail)
    manifest = _parse_manifest(blobs[MANIFEST], fail, any_preprocess)
    _check_members(blobs, manifest, fail)
    if MODEL not in blobs:
        raise fail(f"no {MODEL} in the package")
    try:
        summary = read_onnx_summary(blobs[MODEL])
    except ProtoError as e:
        raise fail(f"{MODEL} is not a valid ONNX model ({e})") from e
    charset = manifest["charset"]
    try:
        check_interface(summary, charset)
        shapes = {n: tuple(t["shape"]) for n, t in manifest["tensors"].items()}
        check_tensor_set(summary, shapes)
        _check_decoded_size(summary, shapes)
    except ValueError as e:
        raise fail(str(e)) from e
    tensors: dict[str, np.ndarray] = {}
    encodings: dict[str, str] = {}
    by_tensor = _members_by_tensor(blobs)
    for name, entry in manifest["tensors"].items():
        members = by_tensor.get(tensor_member(name, "")[: -len("/.npy")], {})
        tensors[name] = _read_tensor(name, entry, members, blobs, summary, fail)
        encodings[name] = entry["encoding"]
    return ModelPackage(
        path=path,
        charset=charset,
        preprocess=PreprocessConfig.from_dict(manifest["preprocess"]),
        preprocess_version=manifest["preprocess_version"],
        onnx_bytes=blobs[MODEL],
        tensors=tensors,
        encodings=encodings,
        info=manifest["info"],
        sha256=sha256,
    )


def _check_members(
    blobs: dict[str, bytes], manifest: dict[str, Any], fail: Callable[[str], Exception]
) -> None:
    """Every member but the manifest and the digest is listed in the manifest, and every
    listed one is there."""
    listed = set(manifest["sha256"])
    unlisted = sorted(set(blobs) - listed - {MANIFEST, DIGEST})
    if unlisted:
        raise fail(f"member {unlisted[0]} is not listed in the manifest (tampered?)")
    missing = sorted(listed - set(blobs))
    if missing:
        raise fail(f"member {missing[0]} is missing")


def _read_tensor(
    name: str,
    entry: dict[str, Any],
    members: dict[str, str],
    blobs: dict[str, bytes],
    summary: OnnxSummary,
    fail: Callable[[str], Exception],
) -> np.ndarray:
    """Decode tensor ``name`` from its ``members`` (field -> member name) and check it has
    the dtype the graph expects and only finite values; returned read-only."""
    fields = {}
    for field, member in members.items():
        try:
            fields[field] = load_npy(blobs[member], MAX_DECODED_BYTES)
        except ValueError as e:
            raise fail(f"{member} is not a plain .npy array: {e}") from e
    if not fields:
        raise fail(f"tensor {name!r} is listed but has no data in the package")
    try:
        w = decode_tensor(fields, entry["encoding"], tuple(entry["shape"]))
    except ValueError as e:
        raise fail(f"tensor {name!r}: {e}") from e
    want = ONNX_DTYPES.get(summary.external[name].data_type)
    if str(w.dtype) != want or entry.get("dtype") != want:
        raise fail(f"tensor {name!r} decodes to {w.dtype}, the graph expects {want}")
    bad = _non_finite(w)
    if bad:  # else every line would be answered "non-finite scores" (issue 22)
        raise fail(
            f"tensor {name!r}: {bad} of its {w.size} values "
            f"{'is' if bad == 1 else 'are'} NaN or infinite; the model is broken "
            "(rebuild it)"
        )
    w.flags.writeable = False
    return w


def _check_digest(blobs: dict[str, bytes], fail: Callable[[str], Exception]) -> None:
    """The whole-package digest first: nothing is parsed from a package that fails it."""
    if MANIFEST not in blobs:
        raise fail(f"no {MANIFEST}: not a Xiezi model package")
    if DIGEST not in blobs:
        version = _peek_format_version(blobs[MANIFEST])
        if version is not None and version < FORMAT_VERSION:
            raise fail(
                f"it is in package format {version}, whose checksums do not cover "
                f"{MANIFEST}; this engine reads format {FORMAT_VERSION}: convert it with "
                "`python -m engine repack OLD NEW` or rebuild it with `trainer build`"
            )
        raise fail(f"no {DIGEST}: not a Xiezi model package of format {FORMAT_VERSION}")
    body = {k: v for k, v in blobs.items() if k != DIGEST}
    if blobs[DIGEST].strip().decode("ascii", "replace") != content_digest(body):
        raise fail(f"{_damaged_member(blobs)} (the file was modified or damaged)")


def _peek_format_version(raw: bytes) -> int | None:
    if len(raw) > MAX_MANIFEST_BYTES:
        return None
    try:
        m = strict_json.loads(raw)
    except ValueError:
        return None
    v = m.get("format_version") if isinstance(m, dict) else None
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _damaged_member(blobs: dict[str, bytes]) -> str:
    """What differs from the manifest's own list, to name it; else the manifest itself."""
    try:
        if len(blobs[MANIFEST]) > MAX_MANIFEST_BYTES:
            raise ValueError("too large to name the member")
        listed = strict_json.loads(blobs[MANIFEST]).get("sha256", {})
        for member, digest in sorted(listed.items()):
            if member not in blobs:
                return f"member {member} is missing"
            if hashlib.sha256(blobs[member]).hexdigest() != digest:
                return f"checksum mismatch for {member}"
        unlisted = sorted(set(blobs) - set(listed) - {MANIFEST, DIGEST})
        if unlisted:
            return f"member {unlisted[0]} is not listed in the manifest"
    except (ValueError, AttributeError, TypeError):
        pass
    return f"checksum mismatch for {MANIFEST} or {DIGEST}"


def _parse_manifest(
    raw: bytes, fail: Callable[[str], Exception], any_preprocess: bool = False
) -> dict[str, Any]:
    if len(raw) > MAX_MANIFEST_BYTES:
        raise fail(
            f"{MANIFEST} is {len(raw)} bytes; a manifest is at most {MAX_MANIFEST_BYTES >> 20} MiB"
        )
    try:
        m = strict_json.loads(raw)
    except json.JSONDecodeError as e:
        raise fail(f"{MANIFEST} is not valid JSON ({e})") from e
    except ValueError as e:  # too deep, not UTF-8
        raise fail(f"{MANIFEST}: {e}") from e
    try:
        return validate_manifest(m, any_preprocess)
    except ValueError as e:
        raise fail(str(e)) from e


def _members_by_tensor(blobs: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """ "tensors/NAME/FIELD.npy" members as {"tensors/NAME": {FIELD: member}}, in one pass
    (matching each tensor against every member took tensors x members steps)."""
    out: dict[str, dict[str, str]] = {}
    for member in blobs:
        if member.startswith("tensors/") and member.endswith(".npy"):
            tensor, sep, field = member.partition("/")[2].partition("/")
            if sep:
                out.setdefault(f"tensors/{tensor}", {})[field[: -len(".npy")]] = member
    return out


def _non_finite(w: np.ndarray) -> int:
    """How many values of a float tensor are NaN or infinite (0 for an integer tensor)."""
    return int(w.size - np.count_nonzero(np.isfinite(w))) if w.dtype.kind == "f" else 0


def _check_decoded_size(summary: OnnxSummary, shapes: dict[str, tuple[int, ...]]) -> None:
    """Refuse before decoding a package whose tensors would fill more than MAX_DECODED_BYTES."""
    total = 0
    for name, shape in shapes.items():
        itemsize = np.dtype(ONNX_DTYPES[summary.external[name].data_type]).itemsize
        total += math.prod(shape) * max(itemsize, 4)  # decoding goes through float32
        if total > MAX_DECODED_BYTES:
            raise ValueError(
                f"its tensors would decode to more than {MAX_DECODED_BYTES >> 20} MiB "
                f"(tensor {name!r} has shape {shape}); not a model package this engine loads"
            )


def _summary(onnx_bytes: bytes, what: str) -> OnnxSummary:
    try:
        return read_onnx_summary(bytes(onnx_bytes))
    except ProtoError as e:
        raise ValueError(f"{what} is not a serialized ONNX model: {e}") from e
