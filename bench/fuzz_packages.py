"""Crafted model packages for bench/fuzz_cli.py and the engine's tests: tampered, bombs, nests.

Each crafter takes the members of a good package (name -> bytes) and returns new members;
``seal`` then recomputes every checksum the package holds, as an attacker (or a careless
edit tool) would, so that only the engine's other checks can refuse the result. Needs the
onnx package for the crafts that change the graph (``sparse_bomb``).

``CRAFTS`` may give a valid package once sealed (accepting it is right, if its sizes are
bounded); ``INVALID`` never does, sealed or not: preprocessing parameters out of their
ranges, weights holding NaN or infinity (issue 22). The engine must refuse those at load,
naming the field, never fail on the first ink.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "manifest.json"
MODEL = "model.onnx"
#: The whole-package digest member of format 2 (engine.package.DIGEST); absent in format 1.
DIGEST = "package.sha256"

Members = dict[str, bytes]


def read_members(path: str | Path) -> Members:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_members(path: str | Path, members: Members) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_LZMA) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_LZMA)


def seal(members: Members) -> Members:
    """Recompute the manifest's member checksums and, in format 2, the whole digest."""
    out = dict(members)
    try:
        m = json.loads(out[MANIFEST])
    except (ValueError, RecursionError):
        m = None
    if isinstance(m, dict) and isinstance(m.get("sha256"), dict):
        m["sha256"] = {k: hashlib.sha256(out[k]).hexdigest() for k in m["sha256"] if k in out}
        out[MANIFEST] = json.dumps(m, ensure_ascii=False).encode()
    if DIGEST in out:
        from engine.package import content_digest  # format 2 only

        body = {k: v for k, v in out.items() if k != DIGEST}
        out[DIGEST] = (content_digest(body) + "\n").encode()
    return out


def manifest_of(members: Members) -> dict[str, Any]:
    return json.loads(members[MANIFEST])  # type: ignore[no-any-return]


def with_manifest(members: Members, m: dict[str, Any]) -> Members:
    return {**members, MANIFEST: json.dumps(m, ensure_ascii=False).encode()}


# -- the crafts: each returns new members ------------------------------------------------
def edit_charset(members: Members) -> Members:
    """Swap the first two characters of the class list: every result changes."""
    m = manifest_of(members)
    cs = m["charset"]
    m["charset"] = cs[1] + cs[0] + cs[2:]
    return with_manifest(members, m)


def edit_preprocess(members: Members) -> Members:
    """Change one preprocessing number to another valid value."""
    m = manifest_of(members)
    key = min(k for k, v in m["preprocess"].items() if isinstance(v, float))
    m["preprocess"][key] = m["preprocess"][key] * 1.5 + 0.01
    return with_manifest(members, m)


def edit_tensor(members: Members) -> Members:
    """Change one stored value of a dense tensor (its member checksum then fails)."""
    name = min(n for n in members if n.endswith("/values.npy"))
    arr = np.load(io.BytesIO(members[name]), allow_pickle=False).copy()
    arr.reshape(-1)[0] += 1
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return {**members, name: buf.getvalue()}


def deep_manifest(members: Members, depth: int = 100_000) -> Members:
    """A manifest whose info nests ``depth`` lists deep (RecursionError in json)."""
    text = members[MANIFEST].decode()
    nest = "[" * depth + "]" * depth
    return {
        **members,
        MANIFEST: text.replace('"info": {', f'"info": {{"x": {nest}, ', 1)
        .replace('"info":{', f'"info":{{"x":{nest},', 1)
        .encode(),
    }


def lzma_bomb(members: Members, size: int = 200 << 20) -> Members:
    """model.onnx replaced by ``size`` zero bytes (a few KB once compressed)."""
    return {**members, MODEL: bytes(size)}


def sparse_bomb(members: Members, size: int = 10**9) -> Members:
    """A sparse tensor declared (graph, manifest and header) to hold ``size`` entries, few KB."""
    import onnx

    m = manifest_of(members)
    name = next(n for n, t in m["tensors"].items() if t["encoding"].startswith("sparse"))
    m["tensors"][name]["shape"] = [size]
    model = onnx.load_from_string(members[MODEL])
    for init in model.graph.initializer:
        if init.name == name:
            del init.dims[:]
            init.dims.append(size)
    from urllib.parse import quote

    member = f"tensors/{quote(name, safe='')}/meta.npy"
    meta = np.load(io.BytesIO(members[member]), allow_pickle=False).copy()
    meta[0] = size
    buf = io.BytesIO()
    np.save(buf, meta, allow_pickle=False)
    out = with_manifest(members, m)
    out[MODEL] = model.SerializeToString()
    out[member] = buf.getvalue()
    return out


def npy_bomb(members: Members, count: int = 10**11) -> Members:
    """A .npy member whose header declares ``count`` float32 values but holds a few."""
    name = min(n for n in members if n.endswith("/values.npy"))
    header = {"descr": "<f4", "fortran_order": False, "shape": (count,)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return {**members, name: buf.getvalue() + bytes(16)}


def set_preprocess(key: str, value: Any) -> Callable[[Members], Members]:
    """A craft that sets preprocess[key] to ``value`` (a float prints as JSON does: 1e+300,
    Infinity, NaN); the value None deletes the key."""

    def craft(members: Members) -> Members:
        m = manifest_of(members)
        if value is None:
            del m["preprocess"][key]
        else:
            m["preprocess"][key] = value
        return with_manifest(members, m)

    return craft


def non_finite_tensor(value: float, field: str = "values") -> Callable[[Members], Members]:
    """A craft that sets the first entry of a float ``field`` (values of a dense tensor, or
    the codebook of a k-means one) to ``value`` (NaN, inf)."""

    def craft(members: Members) -> Members:
        names = sorted(n for n in members if n.endswith(f"/{field}.npy"))
        for name in names:
            arr = np.load(io.BytesIO(members[name]), allow_pickle=False).copy()
            if arr.dtype.kind == "f" and arr.size:
                arr.reshape(-1)[0] = value
                buf = io.BytesIO()
                np.save(buf, arr, allow_pickle=False)
                return {**members, name: buf.getvalue()}
        raise ValueError(f"no float {field}.npy member to craft")

    return craft


#: Preprocessing values outside the ranges of engine.preprocess (each meaningless or, before
#: issue 22, an OverflowError at load or on the first ink, or gigabytes of samples).
BAD_PREPROCESS = [
    ("dist_threshold", 1e300),
    ("dist_threshold", -0.1),
    ("dist_threshold", float("nan")),
    ("cos_threshold", 2.0),
    ("drop_fraction", 1.0),
    ("resample_step", 1e-9),
    ("resample_step", 1.0),
    ("thin_step", float("inf")),
    ("thin_min_units", 1e300),
    ("max_points", float("inf")),
    ("max_points", 10**6),
    ("max_points", 2.5),
    ("max_points", 1),
    ("max_points", "200"),
    ("cos_threshold", True),
    ("dist_threshold", None),
    ("dist_threshold", 10**400),
]


def _label(v: Any) -> str:
    if v is None:
        return "missing"
    return f"1e{len(str(v)) - 1}" if isinstance(v, int) and abs(v) > 10**18 else repr(v)


#: Crafts that make an invalid package, sealed or not.
INVALID: dict[str, Callable[[Members], Members]] = {
    **{f"preprocess_{k}={_label(v)}": set_preprocess(k, v) for k, v in BAD_PREPROCESS},
    "nan_weight": non_finite_tensor(float("nan")),
    "inf_weight": non_finite_tensor(float("inf")),
    "-inf_weight": non_finite_tensor(float("-inf")),
    "inf_codebook": non_finite_tensor(float("inf"), "codebook"),  # a k-means tensor's
}

CRAFTS: dict[str, Callable[[Members], Members]] = {
    "edit_charset": edit_charset,
    "edit_preprocess": edit_preprocess,
    "edit_tensor": edit_tensor,
    "deep_manifest": deep_manifest,
    "lzma_bomb": lzma_bomb,
    "sparse_bomb": sparse_bomb,
    "npy_bomb": npy_bomb,
}
