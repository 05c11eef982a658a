"""Issue 17 item 3: a package is verified whole, and crafted sizes are refused in bounded memory.

The crafts are bench/fuzz_packages.py's (the fuzz harness uses them too). Bombs load in a
child process capped at 1.5 GiB of address space and 30 s: before the fix they reached
3-4 GB or raised MemoryError / RecursionError tracebacks.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.engine_fixtures import build_package

pytest.importorskip("onnx")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import contextlib

import fuzz_packages as fp

from engine.cli import main
from engine.errors import ModelLoadError
from engine.package import load_package
from engine.repack import repack

CAP = 3 << 29  # 1.5 GiB


def load_in_child(path: Path | str) -> tuple[int, str, float]:
    """(exit status, stderr, seconds) of loading ``path`` in a memory-capped child."""
    code = (
        f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))\n"
        "import sys\nfrom engine.package import load_package\nfrom engine.errors import "
        "ModelLoadError\ntry:\n    load_package(sys.argv[1])\nexcept ModelLoadError as e:\n"
        "    print(e, file=sys.stderr); sys.exit(3)\n"
    )
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
    )
    return done.returncode, done.stderr, time.monotonic() - t0


@pytest.mark.parametrize("craft", ["edit_charset", "edit_preprocess", "edit_tensor"])
def test_an_edit_anywhere_fails_the_whole_digest(
    tiny_package: Path, tmp_path: Path, craft: str
) -> None:
    members = fp.read_members(tiny_package)
    path = tmp_path / "edited.xiezi"
    fp.write_members(path, fp.CRAFTS[craft](members))
    with pytest.raises(ModelLoadError, match="checksum mismatch .*modified or damaged"):
        load_package(path)
    # a member edited together with its recomputed checksum in the manifest
    edited = fp.CRAFTS[craft](members)
    m = fp.manifest_of(edited)
    import hashlib

    m["sha256"] = {k: hashlib.sha256(edited[k]).hexdigest() for k in m["sha256"]}
    fp.write_members(path, fp.with_manifest(edited, m))
    with pytest.raises(ModelLoadError, match="checksum mismatch for manifest.json"):
        load_package(path)


@pytest.mark.parametrize(
    ("craft", "needle"),
    [
        (lambda m: fp.sparse_bomb(m, 10**9), "decode to more than 256 MiB"),
        (lambda m: fp.sparse_bomb(m, 10**11), "decode to more than 256 MiB"),
        (lambda m: fp.npy_bomb(m, 10**11), "declares 400000000000 bytes of data, it holds 16"),
        (lambda m: fp.lzma_bomb(m, 129 << 20), "unpack to .* more than 128 MiB"),
        (fp.deep_manifest, "manifest.json: JSON nested 100002 levels deep"),
    ],
    ids=["sparse-1e9", "sparse-1e11", "npy-1e11", "lzma-129MiB", "deep-manifest"],
)
def test_sealed_bombs_are_refused_quickly_in_bounded_memory(
    tmp_path: Path, craft: object, needle: str
) -> None:
    src, path = tmp_path / "src.xiezi", tmp_path / "bomb.xiezi"
    build_package(src, encodings={"fc2.W": "sparse_kmeans"})
    fp.write_members(path, fp.seal(craft(fp.read_members(src))))  # type: ignore[operator]
    assert path.stat().st_size < 200_000
    rc, err, seconds = load_in_child(path)
    assert rc == 3 and "Traceback" not in err, err
    assert needle.split(".*")[0] in err and seconds < 20, err


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_devices_and_fifos_are_refused_at_once(tmp_path: Path, special: str) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    rc, err, seconds = load_in_child(path)
    assert rc == 3 and "not a regular file" in err and seconds < 20


def test_format_1_is_refused_naming_the_fix_and_repack_converts_it(
    tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = fp.read_members(tiny_package)
    del members[fp.DIGEST]
    m = fp.manifest_of(members)
    m["format_version"] = 1  # exactly what the packing code before issue 17 wrote
    old = tmp_path / "old.xiezi"
    fp.write_members(old, fp.with_manifest(members, m))
    with pytest.raises(ModelLoadError, match="format 1.*python -m engine repack OLD NEW"):
        load_package(old)
    new = tmp_path / "new.xiezi"
    assert main(["repack", str(old), str(new)]) == 0
    a, b = load_package(tiny_package), load_package(new)
    assert a.charset == b.charset and a.onnx_bytes == b.onnx_bytes and a.info == b.info
    assert all(np.array_equal(a.tensors[k], b.tensors[k]) for k in a.tensors)
    assert new.read_bytes() == tiny_package.read_bytes()  # what write_package makes today
    # a damaged old package is not sealed by repack
    m["charset"] = m["charset"][::-1]
    fp.write_members(old, fp.with_manifest(fp.edit_tensor(members), m))
    capsys.readouterr()
    assert main(["repack", str(old), str(tmp_path / "never.xiezi")]) == 2
    assert "checksum mismatch for tensors/" in capsys.readouterr().err
    assert not (tmp_path / "never.xiezi").exists()


def test_repack_refuses_what_is_no_package(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xiezi"
    junk.write_bytes(json.dumps({"x": 1}).encode())
    with pytest.raises(ModelLoadError, match="cannot repack .*not a zip"):
        repack(junk, tmp_path / "out.xiezi")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | st.text(max_size=4),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(
        [
            "format",
            "format_version",
            "preprocess_version",
            "preprocess",
            "charset",
            "tensors",
            "sha256",
            "info",
            "shape",
            "encoding",
            "dtype",
            "meta",
        ]
    ),
    JSON,
)
def test_sealed_edits_raise_only_model_load_errors(
    tiny_package: Path, tmp_path_factory: pytest.TempPathFactory, key: str, value: object
) -> None:
    """Whatever a sealed manifest or tensor header says, load_package raises ModelLoadError."""
    members = fp.read_members(tiny_package)
    m = fp.manifest_of(members)
    entry = m["tensors"]["fc1.W"]
    if key == "meta":  # a stored field replaced by an arbitrary array
        arr = np.asarray(value if isinstance(value, (int, float)) else 0.0)
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        members["tensors/fc1.W/values.npy"] = buf.getvalue()
    elif key in entry:
        entry[key] = value
    else:
        m[key] = value
    path = tmp_path_factory.mktemp("edit") / "edited.xiezi"
    fp.write_members(path, fp.seal(fp.with_manifest(members, m)))
    with contextlib.suppress(ModelLoadError):
        load_package(path)


def test_an_encoding_this_engine_does_not_know_is_named(tmp_path: Path) -> None:
    """A package written by a newer trainer (an encoding added since) is refused with the
    encoding's name and the fix, not as a malformed manifest."""
    src = tmp_path / "m.xiezi"
    build_package(src)
    members = fp.read_members(src)
    m = fp.manifest_of(members)
    name = next(iter(m["tensors"]))
    m["tensors"][name]["encoding"] = "kmeans_arith"
    bad = tmp_path / "newer.xiezi"
    fp.write_members(bad, fp.seal(fp.with_manifest(members, m)))
    with pytest.raises(ModelLoadError, match="encoding 'kmeans_arith'.*update Xiezi"):
        load_package(bad)
