"""The model package (``*.xiezi``): a zip of manifest.json, model.onnx and encoded tensors.

Format in docs/architecture.md. Every member's sha256 is in the manifest and checked on
load; tensors are .npy files read with ``allow_pickle=False``; the tensors the manifest lists
are EXTERNAL initializers of model.onnx, located at ``__xiezi_package__``.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

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

#: Largest package file, and largest total of its unpacked members, that load_package reads
#: (the full GB2312 model is ~15 MB uncompressed; this only stops a wrong file or a zip bomb).
MAX_BYTES = 1 << 30
MODEL = "model.onnx"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so equal inputs give byte-equal packages
#: What zipfile raises for damaged archives: a flipped byte can make a member look encrypted
#: (RuntimeError) or of an unknown compression method (NotImplementedError).
_ZIP_ERRORS = (
    zipfile.BadZipFile, lzma.LZMAError, zlib.error, struct.error, OSError, EOFError,
    ValueError, RuntimeError, NotImplementedError,
)


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
        sha256: hex digest of the whole file.
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
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            members[tensor_member(name, field)] = buf.getvalue()
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
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise ValueError(f"info must be JSON-serializable: {e}") from e
    path = Path(path)
    with atomic_open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_LZMA) as z:
        for member, data in [(MANIFEST, manifest_bytes), *members.items()]:
            z.writestr(zipfile.ZipInfo(member, _ZIP_DATE), data, zipfile.ZIP_LZMA)


def load_package(path: str | Path) -> ModelPackage:
    """Read and check a package: checksums, versions, the ONNX interface, every tensor.

    Raises:
        ModelLoadError: naming the path and the reason, for a missing, unreadable,
            truncated or tampered file, another format or preprocessing version, a charset
            that does not match the model's output, or a missing or malformed tensor.
    """
    path = Path(path)

    def fail(reason: str) -> ModelLoadError:
        return ModelLoadError(f"cannot load model package {path}: {reason}")

    try:
        if path.stat().st_size > MAX_BYTES:
            raise fail(f"{path.stat().st_size} bytes is too large for a model package")
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise fail("no such file") from e
    except OSError as e:
        raise fail(f"cannot read it ({e.strerror or e})") from e
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as e:
        raise fail(f"not a zip archive, or truncated ({e})") from e
    with z:
        if sum(i.file_size for i in z.infolist()) > MAX_BYTES:
            raise fail("its members unpack to more than 1 GiB (not a model package)")
        manifest = _read_manifest(z, fail)
        digests: dict[str, str] = manifest["sha256"]
        unlisted = sorted(set(z.namelist()) - set(digests) - {MANIFEST})
        if unlisted:
            raise fail(f"member {unlisted[0]} is not listed in the manifest (tampered?)")
        blobs: dict[str, bytes] = {}
        for member, digest in digests.items():
            try:
                blob = z.read(member)
            except KeyError as e:
                raise fail(f"member {member} is missing") from e
            except _ZIP_ERRORS as e:
                raise fail(f"member {member} is corrupt ({e})") from e
            if hashlib.sha256(blob).hexdigest() != digest:
                raise fail(f"checksum mismatch for {member} (the file was modified or damaged)")
            blobs[member] = blob
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
    except ValueError as e:
        raise fail(str(e)) from e
    tensors: dict[str, np.ndarray] = {}
    encodings: dict[str, str] = {}
    for name, entry in manifest["tensors"].items():
        prefix = tensor_member(name, "")[: -len(".npy")]
        fields = {}
        for member, blob in blobs.items():
            if member.startswith(prefix) and member.endswith(".npy"):
                field = member[len(prefix) : -len(".npy")]
                try:
                    fields[field] = np.load(io.BytesIO(blob), allow_pickle=False)
                except (ValueError, OSError, EOFError) as e:
                    raise fail(f"{member} is not a plain .npy array ({e})") from e
        if not fields:
            raise fail(f"tensor {name!r} is listed but has no data in the package")
        try:
            w = decode_tensor(fields, entry["encoding"], tuple(entry["shape"]))
        except ValueError as e:
            raise fail(f"tensor {name!r}: {e}") from e
        want = ONNX_DTYPES.get(summary.external[name].data_type)
        if str(w.dtype) != want or entry.get("dtype") != want:
            raise fail(f"tensor {name!r} decodes to {w.dtype}, the graph expects {want}")
        w.flags.writeable = False
        tensors[name] = w
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
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _read_manifest(z: zipfile.ZipFile, fail: Any) -> dict[str, Any]:
    try:
        raw = z.read(MANIFEST)
    except KeyError as e:
        raise fail(f"no {MANIFEST}: not a Xiezi model package") from e
    except _ZIP_ERRORS as e:
        raise fail(f"{MANIFEST} is corrupt ({e})") from e
    try:
        return validate_manifest(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise fail(f"{MANIFEST} is not valid JSON ({e})") from e
    except ValueError as e:
        raise fail(str(e)) from e


def _summary(onnx_bytes: bytes, what: str) -> OnnxSummary:
    try:
        return read_onnx_summary(bytes(onnx_bytes))
    except ProtoError as e:
        raise ValueError(f"{what} is not a serialized ONNX model: {e}") from e
