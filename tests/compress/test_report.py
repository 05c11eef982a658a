"""Report figures: MACs counted analytically, ratios to the baseline, targets, CLI mapping."""

from __future__ import annotations

import argparse
import json

import pytest
from compress_helpers import tiny_baseline

from trainer.build.cli import config_from_args, register
from trainer.build.presets import preset
from trainer.build.report import StageRow, make_report, render_markdown, write_report
from trainer.compress.measure import macs_per_char, param_counts
from trainer.compress.prune import AdaptiveDropWeight, PruneConfig
from trainer.compress.svd import LowRankConfig, factorize
from trainer.model import BaselineLSTM, ModelConfig


def test_macs_of_the_paper_baseline_at_t70():
    model = BaselineLSTM(ModelConfig(num_classes=3755))
    macs = macs_per_char(model, seq_len=70)
    assert macs["lstm1"] == 70 * 400 * (6 + 100)
    assert macs["lstm2.input"] + macs["lstm2.hidden"] == 70 * 2048 * (100 + 512)
    assert macs["fc1"] == 512 * 512 and macs["fc2"] == 512 * 3755
    assert macs["total"] == 92_889_024
    assert param_counts(model) == (3_489_643, 3_489_643)


def test_macs_honour_ranks_and_sparsity():
    model, _ = factorize(tiny_baseline(), LowRankConfig(ranks={"lstm2.weight_hh": 3}))
    assert macs_per_char(model, seq_len=10)["lstm2.hidden"] == 10 * (64 * 3 + 3 * 16)
    strided, _ = factorize(tiny_baseline(), LowRankConfig(ranks={"lstm2.weight_hh": 3}, stride2=3))
    assert macs_per_char(strided, seq_len=10)["lstm2.hidden"] == 4 * (64 * 3 + 3 * 16)
    assert macs_per_char(strided, seq_len=10)["lstm1"] == macs_per_char(model, seq_len=10)["lstm1"]
    AdaptiveDropWeight(PruneConfig(sparsity={"fc2": 0.5}, increments=1)).finalize(model)
    assert macs_per_char(model)["fc2"] == 96 == macs_per_char(model, dense=True)["fc2"] // 2


def row(stage: str, top1: float, size: int, ms: float) -> StageRow:
    return StageRow(stage, stage, top1, 0.9, 100, 50, size, "package", 1000, 2000, ms, ms * 2)


def test_ratios_and_targets(tmp_path):
    report = make_report(
        [row("baseline", 0.90, 3100, 6.0), row("quant", 0.897, 100, 1.5)], {"preset": "t"}
    )
    final = report["stages"][-1]["vs_baseline"]
    assert final["size_x"] == pytest.approx(31.0) and final["speedup_x"] == pytest.approx(4.0)
    assert final["top1_drop_points"] == pytest.approx(0.3)
    assert report["targets"]["met"] == {"size_x": True, "speedup_x": True, "top1_drop_points": True}
    json_path, md_path = write_report(tmp_path, report)
    assert json.loads(json_path.read_text()) == report
    assert "| quant | 89.70% |" in md_path.read_text() == render_markdown(report)
    with pytest.raises(ValueError, match="first row"):
        make_report([row("quant", 0.9, 1, 1.0)], {})


def test_cli_maps_arguments_into_the_build_config():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "build",
            "--preset",
            "full",
            "--out",
            "o",
            "--data",
            "pot",
            "--data-path",
            "a",
            "--data-path",
            "b",
            "--prune-steps",
            "7",
        ]
    )
    cfg = config_from_args(args)
    assert cfg.data.source == "pot" and cfg.data.paths == ("a", "b")
    assert cfg.prune.steps == 7 and cfg.baseline.steps == preset("full").baseline.steps
    assert cfg.model.hidden2 == 512 and cfg.data.num_classes == 3755


class _Clock:
    """time.perf_counter for the measurement: advanced only by the sessions' runs."""

    now = 0.0

    @classmethod
    def perf_counter(cls) -> float:
        return cls.now


class _Session:
    """Stands in for an OrtModel: its first run after another session ran is slow."""

    last: object = None

    def __init__(self, warm_s: float, cold_s: float) -> None:
        self.warm_s, self.cold_s, self.calls = warm_s, cold_s, 0

    def run(self, features, lengths):
        self.calls += 1
        _Clock.now += self.cold_s if _Session.last is not self else self.warm_s
        _Session.last = self


def test_latencies_time_warm_runs_in_blocks_and_report_the_cold_first_run(monkeypatch):
    from trainer.compress import measure

    monkeypatch.setattr(measure, "time", _Clock)  # a clock the machine's load cannot move
    a, b = _Session(0.0005, 0.004), _Session(0.0005, 0.004)
    lat = measure.latencies({"a": a, "b": b}, runs=18, warmup=1, block=4)  # type: ignore[dict-item]
    assert lat["a"].runs == 18 and a.calls == 1 + 6 * 4  # 6 blocks of 1 cold + 3 warm
    for v in lat.values():
        assert v.median_ms == pytest.approx(0.5) and v.cold_median_ms == pytest.approx(4.0)
    with pytest.raises(ValueError, match="block"):
        measure.latencies({"a": a}, runs=3, block=1)  # type: ignore[dict-item]


def test_the_tiny_report_says_its_figures_mean_nothing():
    report = make_report(
        [row("baseline", 0.90, 3100, 0.1), row("quant", 0.8, 2000, 0.4)],
        {"preset": "tiny", "classes": 24},
    )
    md = render_markdown(report)
    assert "NOT met" not in md and "faster:" not in md
    assert "checks that the whole pipeline runs" not in md  # the wording below, not a claim
    assert "a check that the whole pipeline runs" in md and "(chance: 4.2%)" in md
    assert "mean nothing" in md
    full = render_markdown(
        make_report(
            [row("baseline", 0.9, 3100, 6.0), row("quant", 0.8, 2000, 7.0)], {"preset": "full"}
        )
    )
    assert "NOT met" in full
