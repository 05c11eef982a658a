"""`trainer finetune`: a built package retrained under today's preprocessing, resumably."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.package import load_package
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig
from trainer.build.finetune import decode_model
from trainer.build.presets import preset
from trainer.cli import main

pytestmark = pytest.mark.slow

SMALL = [
    "--baseline-steps",
    "300",
    "--svd-steps",
    "60",
    "--prune-steps",
    "80",
    "--quant-steps",
    "20",
    "--latency-runs",
    "3",
    "--no-progress",
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["build", "--preset", "tiny", "--out", str(out), *SMALL]) == 0
    return out / preset("tiny").package_name


@pytest.fixture(scope="module")
def tuned(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finetune")
    assert (
        main(
            [
                "finetune",
                "--from",
                str(source),
                "--out",
                str(out),
                "--preset",
                "tiny",
                "--prune-steps",
                "60",
                "--quant-steps",
                "20",
                "--latency-runs",
                "3",
                "--yardstick-inks",
                "8",
                "--no-progress",
            ]
        )
        == 0
    )
    return out


def test_decoded_model_is_the_package(source: Path) -> None:
    import torch

    package = load_package(source)
    model = decode_model(package)
    state = model.state_dict()
    assert all(np.array_equal(state[k].numpy(), v) for k, v in package.tensors.items())
    from engine.session import ModelSession

    x = np.random.default_rng(0).normal(size=(2, 9, 6)).astype(np.float32)
    lengths = np.array([9, 5])
    with torch.no_grad():
        ours = model(torch.from_numpy(x), torch.from_numpy(lengths)).numpy()
    theirs = ModelSession(package.onnx_bytes, package.tensors).run(x, lengths)
    assert np.abs(ours - theirs).max() < 1e-4


def test_finetuned_package_keeps_the_pruned_zeros_and_the_codebooks(
    source: Path, tuned: Path
) -> None:
    before, after = load_package(source), load_package(tuned / preset("tiny").package_name)
    assert after.preprocess == PreprocessConfig() and after.preprocess_version == PREPROCESS_VERSION
    assert after.info["finetuned_from"]["sha256"] == before.sha256
    clusters = {"lstm1": 16, "lstm2": 16, "fc1": 16, "fc2": 16}
    changed = 0
    for name, w in before.tensors.items():
        v = after.tensors[name]
        if w.ndim == 2 and (w == 0).any():  # a pruned matrix stays pruned where it was
            assert np.array_equal(w == 0, v == 0), name
        if w.ndim == 2 and name.split(".")[0] in clusters:
            assert len(np.unique(v[v != 0])) <= clusters[name.split(".")[0]], name
        changed += not np.array_equal(w, v)
    assert changed >= 5  # it trained


def test_report_has_the_source_the_stages_and_the_yardsticks(tuned: Path) -> None:
    report = json.loads((tuned / "report.json").read_text(encoding="utf-8"))
    assert [r["model"].split(",")[0] for r in report["rows"]] == ["source", "prune", "quant"]
    for row in report["rows"]:
        assert 0 <= row["top1"] <= row["top10"] <= 1
    assert report["rows"][-1]["size_bytes"] > 0 and report["rows"][-1]["latency_median_ms"] > 0
    assert report["rows"][0]["top1"] > 0.3 and report["rows"][-1]["top1"] > 0.3
    assert "as given" in report["yardsticks"]["digitizers"]
    md = (tuned / "report.md").read_text(encoding="utf-8")
    assert "| quant |" in md and "Digitizer sweep" in md


def test_second_run_skips_both_stages(source: Path, tuned: Path) -> None:
    finals = {s: (tuned / s / "final.pt").stat().st_mtime_ns for s in ("prune", "quant")}
    assert (
        main(
            [
                "finetune",
                "--from",
                str(source),
                "--out",
                str(tuned),
                "--preset",
                "tiny",
                "--yardstick-inks",
                "0",
                "--latency-runs",
                "3",
                "--no-progress",
            ]
        )
        == 0
    )
    assert finals == {s: (tuned / s / "final.pt").stat().st_mtime_ns for s in finals}


def test_package_of_other_classes_is_refused(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = Path(__file__).resolve().parents[2] / "resources" / "model" / "xiezi-gb1.xiezi"
    if not bundled.is_file():
        pytest.skip("no bundled model in this checkout")
    rc = main(
        [
            "finetune",
            "--from",
            str(bundled),
            "--out",
            str(tmp_path / "x"),
            "--preset",
            "tiny",
            "--no-progress",
        ]
    )
    assert rc == 2
    assert "3755 classes, the data 24" in capsys.readouterr().out


def test_missing_package_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        [
            "finetune",
            "--from",
            str(tmp_path / "none.xiezi"),
            "--out",
            str(tmp_path / "x"),
            "--preset",
            "tiny",
            "--no-progress",
        ]
    )
    assert rc == 2
    assert "none.xiezi" in capsys.readouterr().out
