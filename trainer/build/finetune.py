"""`trainer finetune`: retrain a built model package under today's preprocessing and data.

A package holds its weights exactly (engine.package), so a shipped model can be trained further
without the build folder it came from: its factored model is rebuilt from the package, retrained
with its pruned weights held at zero (the prune stage's masks, full from the first step), then
its weights are shared again by k-means and the centroids fine-tuned (the quant stage), and the
result is written as a new package with today's preprocessing. Used when the preprocessing
changes in a way a trained model adapts to in a few thousand steps (version 3 -> 4: the thinning
of coarse pixel grids), and for more training of a shipped model on fresh writers.

Resumable like a build: each stage's final.pt is kept, an interrupted stage continues from its
last.pt, and a run that finds the package and its report does nothing. Layout of OUT:

    OUT/finetune.json                 the settings and the source package's sha256
    OUT/prune/, OUT/quant/            train() run folders, each with final.pt
    OUT/<package_name>                the new package
    OUT/report.json, OUT/report.md    validation, size, latency and the yardsticks
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.atomic import atomic_write_text
from engine.package import ModelPackage, load_package
from trainer import yardsticks
from trainer.build.pipeline import Builder, CachedSource
from trainer.build.presets import BuildConfig
from trainer.build.report import measured_on, yardsticks_markdown
from trainer.build.stages import REGISTRY, Stage
from trainer.compress import measure
from trainer.compress.prune import AdaptiveDropWeight
from trainer.data.feed import DataSource, StreamSource
from trainer.evaluate import evaluate
from trainer.model import build_model_from_spec

logger = logging.getLogger(__name__)

#: The source package's model, as the first stage's ``start`` (in ``Builder.models``).
SOURCE = "source"

#: The build's last two stages, the first starting from the package's model with its pruned
#: weights held at zero (the masks full from the first step).
STAGES: tuple[Stage, ...] = (
    replace(
        REGISTRY["prune"],
        start=SOURCE,
        callbacks=lambda config, start: [AdaptiveDropWeight.holding(start, config.pruning)],
    ),  # type: ignore[arg-type]
    REGISTRY["quant"],
)


@dataclass(frozen=True)
class FinetuneConfig:
    """What `trainer finetune` runs with; written to OUT/finetune.json.

    Attributes:
        source: the package to start from (any preprocessing version: only its weights are
            read). build: the preset whose data, pruning and quantization settings apply;
            its ``prune`` and ``quant`` TrainConfigs are the two stages here.
        data_seed: seed of the training stream, other than the build's so that the writers
            are new ones (validation writers do not depend on it).
    """

    source: Path
    build: BuildConfig
    data_seed: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "data_seed": self.data_seed,
            "build": self.build.to_dict(),
        }


def decode_model(package: ModelPackage) -> nn.Module:
    """The PyTorch model of a package, with exactly its weights.

    Raises:
        ValueError: the package does not say what model it holds, or its tensors are not
            that model's state.
    """
    spec = package.info.get("model_spec")
    if not isinstance(spec, dict):
        raise ValueError(  # noqa: TRY004 (a bad file, not a bad argument)
            f"{package.path} does not record its model_spec: it was not written by "
            "`trainer build`, so its model cannot be rebuilt"
        )
    model = build_model_from_spec(spec)
    state = model.state_dict()
    if set(state) != set(package.tensors):
        missing = sorted(set(state) ^ set(package.tensors))
        raise ValueError(
            f"{package.path} holds other tensors than its model_spec's model "
            f"(first difference: {missing[0]})"
        )
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in package.tensors.items()})
    return model.eval()


def finetune(
    config: FinetuneConfig,
    out_dir: str | Path,
    threads: int | None = None,
    progress: bool = True,
    source: DataSource | None = None,
) -> dict[str, Any] | None:
    """Run (or resume) the fine-tuning; returns the report, None when a signal stopped it.

    Raises:
        ModelLoadError: the source package cannot be read.
        ValueError: its model cannot be rebuilt, or its class list is not the data's.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    package = load_package(config.source, any_preprocess=True)
    source_size = Path(config.source).stat().st_size  # now: the file may be replaced meanwhile
    data = replace(config.build.data, seed=config.data_seed)
    build = replace(config.build, data=data)
    src = CachedSource(source if source is not None else StreamSource(data))
    if package.charset != src.charset:
        raise ValueError(
            f"{config.source} has {len(package.charset)} classes, the data "
            f"{len(src.charset)} or another order: fine-tune on its own class list"
        )
    record = {
        **config.to_dict(),
        "source_sha256": package.sha256,
        "source_preprocess_version": package.preprocess_version,
    }
    atomic_write_text(out / "finetune.json", json.dumps(record, indent=1, ensure_ascii=False))
    start = decode_model(package)  # kept as it is, for the report; the stage trains a copy
    builder = Builder(build, out, src, threads, progress)
    builder.models[SOURCE] = start
    for stage in STAGES:
        if not builder.train_stage(stage):
            return None
    final, path = out / build.package_name, out / "report.json"
    if not final.is_file():
        builder.write_stage_package(
            final,
            "quant",
            finetuned_from={
                "sha256": package.sha256,
                "info_stage": package.info.get("stage"),
                "train_steps": package.info.get("train_steps"),
            },
        )
    if path.is_file():
        logger.info("%s and its report are there: nothing to do", final)
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    report = make_finetune_report(build, package, source_size, start, builder, final)
    atomic_write_text(path, json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(out / "report.md", render(report))
    return report


def make_finetune_report(
    build: BuildConfig,
    package: ModelPackage,
    source_size: int,
    start: nn.Module,
    builder: Builder,
    final: Path,
) -> dict[str, Any]:
    """Validation, size and latency of the source and of each stage; the final's yardsticks."""
    batches = builder.src.validation(build.quant.val_batch_size)
    torch.set_num_threads(max(1, build.quant.threads))
    before = evaluate(start, batches, top=10)
    new = load_package(final)
    lat = measure.latencies(
        {
            "source": measure.OrtModel(package.onnx_bytes, dict(package.tensors)),
            "final": measure.OrtModel(new.onnx_bytes, dict(new.tensors)),
        },
        runs=build.latency_runs,
        seq_len=build.seq_len,
    )
    rows = [
        {
            "model": "source, read with today's preprocessing",
            "top1": before["top1"],
            "top10": before["top10"],
            "size_bytes": source_size,
            "latency_median_ms": lat["source"].median_ms,
            "latency_p95_ms": lat["source"].p95_ms,
        }
    ]
    for stage in (s.name for s in STAGES):
        ev = builder.finals[stage]["eval"]
        rows.append(
            {
                "model": stage,
                "top1": ev["top1"],
                "top10": ev["top10"],
                "train_steps": builder.finals[stage]["step"],
                "train_s": round(float(builder.finals[stage]["elapsed_s"]), 1),
            }
        )
    rows[-1].update(
        size_bytes=final.stat().st_size,
        latency_median_ms=lat["final"].median_ms,
        latency_p95_ms=lat["final"].p95_ms,
    )
    report: dict[str, Any] = {
        "meta": {
            "source": str(package.path),
            "source_sha256": package.sha256,
            "source_preprocess_version": package.preprocess_version,
            **measured_on(before["n"], build.seq_len, build.latency_runs),
        },
        "rows": rows,
    }
    if build.yardstick_inks > 0:
        report["yardsticks"] = yardsticks.measure(
            final, build.data, build.yardstick_inks, build.realism_card
        )
    return report


def render(report: dict[str, Any]) -> str:
    """The fine-tuning report as Markdown."""
    meta = report["meta"]
    lines = [
        "# Xiezi fine-tuning report",
        "",
        (
            f"From `{meta['source']}` (sha256 {meta['source_sha256'][:16]}..., preprocessing "
            f"version {meta['source_preprocess_version']}). Validation on {meta['val_samples']} "
            f"held-out writers, read with today's preprocessing. Latency per character: batch 1, "
            f"{meta['seq_len']} points, one onnxruntime thread, {meta['latency_runs']} warm runs, "
            "source and final interleaved."
        ),
        "",
        "| model | top-1 | top-10 | steps | size | latency median / p95 |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        size = f"{r['size_bytes']:,} B" if "size_bytes" in r else ""
        lat = (
            f"{r['latency_median_ms']:.2f} / {r['latency_p95_ms']:.2f} ms"
            if "latency_median_ms" in r
            else ""
        )
        lines.append(
            f"| {r['model']} | {100 * r['top1']:.2f}% | {100 * r['top10']:.2f}% "
            f"| {r.get('train_steps', '')} | {size} | {lat} |"
        )
    if report.get("yardsticks"):
        lines += yardsticks_markdown(report["yardsticks"])
    return "\n".join(lines) + "\n"
