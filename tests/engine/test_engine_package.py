"""The model package: round trip, and a clear ModelLoadError for every kind of bad file."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.support.engine_fixtures import CHARSET, build_package

pytest.importorskip("onnx")  # the tiny models are built with onnx's helper API
from engine.archive import content_digest
from engine.errors import ModelLoadError
from engine.package import DIGEST, MANIFEST, MODEL, load_package, tensor_member, write_package
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig
from tests.support.onnx_builders import externalize, lstm_classifier


def rewrite(
    src: Path,
    dst: Path,
    change: dict[str, bytes],
    fix_digests: bool = False,
    seal: bool = False,
    drop: str | None = None,
) -> None:
    """Copy a package replacing some members (CRCs stay valid: only sha256 can tell).

    ``fix_digests``: recompute the manifest's member checksums; ``seal``: recompute the
    whole-package digest too (so only the checks after it can refuse the result);
    ``drop``: leave out the members whose name holds this.
    """
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist() if drop is None or drop not in n}
    members.update(change)
    if fix_digests:
        m = json.loads(members[MANIFEST])
        m["sha256"] = {
            k: hashlib.sha256(members[k]).hexdigest() for k in m["sha256"] if k in members
        }
        members[MANIFEST] = json.dumps(m).encode()
    if seal:
        body = {k: v for k, v in members.items() if k != DIGEST}
        members[DIGEST] = content_digest(body).encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_LZMA) as z:
        for name, data in members.items():
            z.writestr(name, data)


def edit_manifest(src: Path, dst: Path, **fields: object) -> None:
    with zipfile.ZipFile(src) as z:
        m = json.loads(z.read(MANIFEST))
    m.update(fields)
    rewrite(src, dst, {MANIFEST: json.dumps(m).encode()}, seal=True)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.xiezi"
    weights = build_package(path, encodings={"fc2.W": "sparse_kmeans"}, seed=0)
    pkg = load_package(path)
    assert pkg.charset == CHARSET and pkg.preprocess == PreprocessConfig()
    assert pkg.preprocess_version == PREPROCESS_VERSION and pkg.info["stage"] == "test"
    assert pkg.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(pkg.tensors) == set(weights) and pkg.encodings["fc2.W"] == "sparse_kmeans"
    for name, w in weights.items():
        assert np.array_equal(pkg.tensors[name], w)
        assert not pkg.tensors[name].flags.writeable
    with zipfile.ZipFile(path) as z:
        assert all(i.compress_type == zipfile.ZIP_LZMA for i in z.infolist())
        assert tensor_member("fc2.W", "codes") in z.namelist()


def test_writing_is_deterministic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    build_package(tmp_path / "a.xiezi")
    build_package(tmp_path / "b.xiezi")
    assert (tmp_path / "a.xiezi").read_bytes() == (tmp_path / "b.xiezi").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xiezi", "b.xiezi"]


def test_write_refuses_inconsistent_arguments(tmp_path: Path) -> None:
    model, weights = lstm_classifier(len(CHARSET))
    onnx_bytes = externalize(model, list(weights))
    args = (onnx_bytes, CHARSET, PreprocessConfig())
    out = tmp_path / "x.xiezi"
    with pytest.raises(ValueError, match="charset has 3 characters"):
        write_package(out, onnx_bytes, "一二三", PreprocessConfig(), weights, {}, {})
    with pytest.raises(ValueError, match="missing from the package"):
        write_package(out, *args, {k: v for k, v in weights.items() if k != "fc1.b"}, {}, {})
    with pytest.raises(ValueError, match="shape"):
        write_package(out, *args, dict(weights, **{"fc1.b": np.zeros(3, np.float32)}), {}, {})
    with pytest.raises(ValueError, match="tensor 'fc2.W': unknown encoding"):
        write_package(out, *args, weights, {"fc2.W": "zip"}, {})
    with pytest.raises(ValueError, match="not given"):
        write_package(out, *args, weights, {"nope": "dense"}, {})
    with pytest.raises(ValueError, match="JSON"):
        write_package(out, *args, weights, {}, {"bad": object()})
    with pytest.raises(TypeError, match="info must be a dict"):
        write_package(out, *args, weights, {}, [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a serialized ONNX"):
        write_package(out, b"\xff\xff\xff", CHARSET, PreprocessConfig(), weights, {}, {})
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_directory_and_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelLoadError, match="cannot read it"):
        load_package(tmp_path)
    bomb = tmp_path / "bomb.xiezi"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_LZMA) as z:
        z.writestr(MANIFEST, b"{}" + b" " * 5000)
    monkeypatch.setattr("engine.archive.MAX_UNPACKED_BYTES", 4096)
    with pytest.raises(ModelLoadError, match="unpack to 5002 bytes, more than"):
        load_package(bomb)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.xiezi"
    with pytest.raises(ModelLoadError, match=f"{path}.*no such file"):
        load_package(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "m.xiezi"
    path.write_text("hello")
    with pytest.raises(ModelLoadError, match=f"{path}.*not a zip"):
        load_package(path)


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_truncated(tiny_package: Path, tmp_path: Path, keep: float) -> None:
    data = tiny_package.read_bytes()
    path = tmp_path / "cut.xiezi"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelLoadError, match=str(path)):
        load_package(path)


def test_every_flipped_byte_is_caught(tiny_package: Path, tmp_path: Path) -> None:
    data = tiny_package.read_bytes()
    path = tmp_path / "flip.xiezi"
    rng = np.random.default_rng(0)
    for at in sorted(set(rng.integers(0, len(data), 40).tolist())):
        bad = bytearray(data)
        bad[at] ^= 0x5A
        path.write_bytes(bytes(bad))
        try:
            pkg = load_package(path)
        except ModelLoadError as e:
            assert str(path) in str(e)
        else:  # a byte no reader looks at (zip comment / timestamps): contents still intact
            assert pkg.onnx_bytes == load_package(tiny_package).onnx_bytes


def test_checksum_mismatch(tiny_package: Path, tmp_path: Path) -> None:
    path = tmp_path / "tampered.xiezi"
    with zipfile.ZipFile(tiny_package) as z:
        onnx_bytes = z.read(MODEL)
    rewrite(tiny_package, path, {MODEL: onnx_bytes + b"\x00"})
    with pytest.raises(ModelLoadError, match=f"{path}.*checksum mismatch for model.onnx"):
        load_package(path)


def test_another_preprocess_version_is_read_only_for_its_weights(
    tiny_package: Path, tmp_path: Path
) -> None:
    """A package of another preprocessing version is refused, naming both versions, unless
    asked for its weights (trainer finetune), which then decode as written."""
    path = tmp_path / "older.xiezi"
    edit_manifest(tiny_package, path, preprocess_version=PREPROCESS_VERSION - 1)
    with pytest.raises(
        ModelLoadError,
        match=f"preprocess_version {PREPROCESS_VERSION - 1}.*this engine has {PREPROCESS_VERSION}",
    ):
        load_package(path)
    older, same = load_package(path, any_preprocess=True), load_package(tiny_package)
    assert older.preprocess_version == PREPROCESS_VERSION - 1
    assert all(np.array_equal(older.tensors[k], v) for k, v in same.tensors.items())


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"format_version": 99}, "format_version 99"),
        ({"preprocess_version": PREPROCESS_VERSION + 1}, "preprocess_version"),
        ({"format": "other"}, "does not describe"),
        ({"charset": CHARSET + "木"}, "charset has 13 characters but the model outputs 12"),
        ({"charset": "一一"}, "repeated"),
        ({"preprocess": {"dist_threshold": 1}}, "preprocess"),
    ],
)
def test_manifest_problems(
    tiny_package: Path, tmp_path: Path, fields: dict[str, object], needle: str
) -> None:
    path = tmp_path / "edited.xiezi"
    edit_manifest(tiny_package, path, **fields)
    with pytest.raises(ModelLoadError, match=needle) as info:
        load_package(path)
    assert str(path) in str(info.value)


def test_missing_tensor(tiny_package: Path, tmp_path: Path) -> None:
    path = tmp_path / "lost.xiezi"
    with zipfile.ZipFile(tiny_package) as z:
        m = json.loads(z.read(MANIFEST))
    del m["tensors"]["fc1.W"]
    rewrite(tiny_package, path, {MANIFEST: json.dumps(m).encode()}, seal=True)
    with pytest.raises(ModelLoadError, match="tensor 'fc1.W' of the model is missing"):
        load_package(path)
    # the member gone but still listed
    rewrite(tiny_package, path, {}, drop="fc1.W")
    with pytest.raises(ModelLoadError, match="fc1.W.*is missing"):
        load_package(path)
    rewrite(tiny_package, path, {}, drop="fc1.W", seal=True)
    with pytest.raises(ModelLoadError, match="fc1.W.*is missing"):
        load_package(path)


def test_unlisted_member_and_pickle(tiny_package: Path, tmp_path: Path) -> None:
    path = tmp_path / "extra.xiezi"
    rewrite(tiny_package, path, {"evil.py": b"print(1)"})
    with pytest.raises(ModelLoadError, match="evil.py is not listed"):
        load_package(path)
    pickled = b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    member = tensor_member("fc1.b", "values")
    rewrite(tiny_package, path, {member: pickled.ljust(128) + b"\n"}, fix_digests=True, seal=True)
    with pytest.raises(ModelLoadError, match="not a plain .npy"):
        load_package(path)
