"""Issue 22: a package's preprocessing parameters and weights are checked at load.

With every checksum recomputed (bench/fuzz_packages.seal), ``"max_points": Infinity`` was an
OverflowError at load, ``"dist_threshold": 1e300`` loaded and then killed the CLI on the first
ink, and NaN weights answered every line "non-finite scores". Each is now a ModelLoadError
that names the field and what it may be; inside the ranges, nothing overflows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.errors import ModelLoadError
from engine.package import load_package, write_package
from engine.preprocess import PreprocessConfig, preprocess
from engine.recognizer import Recognizer
from tests.support.engine_fixtures import build_package, sample_ink

pytest.importorskip("onnx")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import fuzz_packages as fp


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> fp.Members:
    """A tiny package with dense tensors and one k-means tensor (so a codebook too)."""
    path = tmp_path_factory.mktemp("src") / "src.xiezi"
    build_package(path, encodings={"fc2.W": "kmeans"})
    return fp.read_members(path)


@pytest.mark.parametrize("craft", sorted(fp.INVALID))
def test_sealed_invalid_packages_are_refused_at_load_naming_the_field(
    members: fp.Members, tmp_path: Path, craft: str
) -> None:
    path = tmp_path / "crafted.xiezi"
    fp.write_members(path, fp.seal(fp.INVALID[craft](members)))
    with pytest.raises(ModelLoadError) as caught:
        load_package(path)
    message = str(caught.value)
    if craft.startswith("preprocess_"):
        field = craft.removeprefix("preprocess_").split("=")[0]
        assert f"manifest.json has an invalid 'preprocess': {field} " in message
        assert f"{field} must be " in message or f"{field} is missing; it must be " in message
    else:
        assert "NaN or infinite; the model is broken (rebuild it)" in message
        assert "tensor 'fc1.W'" in message or "tensor 'fc2.W'" in message


def test_the_cli_refuses_dist_threshold_1e300_with_one_line(
    members: fp.Members, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ink = tmp_path / "far.xiezi", tmp_path / "ink.jsonl"
    fp.write_members(path, fp.seal(fp.set_preprocess("dist_threshold", 1e300)(members)))
    ink.write_text(sample_ink(1).to_json() + "\n")
    assert main(["recognize", str(ink), "--model", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.endswith(
        "dist_threshold must be a number in [0, 0.5] (a fraction of the "
        "character's larger side), got 1e+300\n"
    )


@pytest.mark.parametrize(
    "edge",
    [
        {"dist_threshold": 0.5, "cos_threshold": -1.0, "max_points": 4096},
        {"dist_threshold": 0.0, "cos_threshold": 1.0, "max_points": 2, "resample_step": 0.01},
        {"resample_step": 0, "thin_step": 0, "thin_min_units": 0, "drop_fraction": 0},
        {"resample_step": 0.99, "thin_step": 0.99, "thin_min_units": 999_999.0},
    ],
)
def test_packages_at_the_edges_of_the_ranges_load_and_recognize(
    members: fp.Members, tmp_path: Path, edge: dict[str, float]
) -> None:
    m = fp.manifest_of(members)
    m["preprocess"].update(edge)
    path = tmp_path / "edge.xiezi"
    fp.write_members(path, fp.seal(fp.with_manifest(members, m)))
    rec = Recognizer(path).load()
    assert rec.recognize(sample_ink(2), n=3)


FRACTION = st.floats(0.0, 0.999)
CONFIGS = st.builds(
    PreprocessConfig,
    dist_threshold=st.floats(0.0, 0.5),
    cos_threshold=st.floats(-1.0, 1.0),
    drop_fraction=FRACTION,
    resample_step=st.just(0.0) | st.floats(0.01, 0.999),
    max_points=st.integers(2, 4096),
    thin_step=FRACTION,
    thin_min_units=st.floats(0.0, 1e5),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONFIGS, st.integers(0, 1000), st.sampled_from([1e-6, 1.0, 1e9]))
def test_any_config_in_range_preprocesses_any_ink(
    config: PreprocessConfig, seed: int, scale: float
) -> None:
    ink = sample_ink(seed, strokes=1 + seed % 4, points=1 + seed % 30)
    big = type(ink)(tuple(np.asarray(s) * [scale, scale, 1.0] for s in ink.strokes))
    for one in (ink, big):
        feats = preprocess(one, config)
        assert 1 <= len(feats) <= config.max_points and np.isfinite(feats).all()
    assert PreprocessConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_write_package_refuses_non_finite_weights(tmp_path: Path) -> None:
    src = tmp_path / "src.xiezi"
    build_package(src)
    pkg = load_package(src)
    weights = {k: np.array(v) for k, v in pkg.tensors.items()}
    weights["fc1.W"][0, 0] = np.nan
    with pytest.raises(ValueError, match="tensor 'fc1.W' holds NaN or infinite values"):
        write_package(
            tmp_path / "nan.xiezi",
            pkg.onnx_bytes,
            pkg.charset,
            pkg.preprocess,
            weights,
            pkg.encodings,
            {},
        )
    assert not (tmp_path / "nan.xiezi").exists()
