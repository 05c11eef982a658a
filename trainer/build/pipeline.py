"""`trainer build`: data -> baseline -> SVD -> ADW -> k-means -> ONNX -> package -> report.

Every stage writes its output atomically into OUT and is skipped when that output exists; a
training stage interrupted midway continues from its last.pt (train()'s resume). Layout:

    OUT/build.json, data.json          the settings; the class list
    OUT/<stage>/                       train() run folder: last.pt, metrics.jsonl, curves.png
    OUT/<stage>/final.pt               the stage's model, per-layer figures and accuracy
    OUT/onnx/<stage>.onnx              fp32 ONNX (weights inside)
    OUT/packages/<stage>.xiezi         the stage as a model package
    OUT/<package_name>, report.md, report.json
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.atomic import atomic_open, atomic_write_text
from engine.package import load_package
from trainer import checkpoint as ck
from trainer import yardsticks
from trainer.build.presets import STAGES, BuildConfig
from trainer.build.report import StageRow, make_report, measured_on, write_report
from trainer.build.stages import BUILD_STAGES, FACTOR_FILE, REGISTRY, Stage
from trainer.compress import measure
from trainer.compress.export import to_onnx
from trainer.compress.layers import resolve
from trainer.compress.pack import write_model_package
from trainer.compress.svd import LowRankLSTM, factorize
from trainer.data.batch import Batch
from trainer.data.feed import DataSource, StreamSource
from trainer.evaluate import evaluate
from trainer.model import BaselineLSTM, build_model_from_spec, model_spec
from trainer.train import seed_everything, train

logger = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build() call did: stages ``ran`` and ``skipped`` (their output was there);
    ``stopped`` when a signal ended a training stage early (run the build again to resume)."""

    out_dir: Path
    package: Path | None
    report: dict[str, Any] | None
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stopped: bool = False


class CachedSource:
    """A DataSource whose validation batches are made once for the whole build."""

    def __init__(self, inner: DataSource) -> None:
        self.inner = inner
        self.charset, self.batch_size = inner.charset, inner.batch_size
        self.preprocess = inner.preprocess
        self._val: dict[int, list[Batch]] = {}

    def stream(self, rank: int, world_size: int, start_batch: int) -> Any:
        return self.inner.stream(rank, world_size, start_batch)

    def validation(self, batch_size: int) -> list[Batch]:
        if batch_size not in self._val:
            self._val[batch_size] = self.inner.validation(batch_size)
        return self._val[batch_size]


def build(
    config: BuildConfig,
    out_dir: str | Path,
    threads: int | None = None,
    progress: bool = True,
    source: DataSource | None = None,
) -> BuildResult:
    """Run (or resume) the build of ``config`` in ``out_dir``.

    Args:
        threads: torch threads for training (None: each TrainConfig's own).
        source: training/validation data other than StreamSource(config.data) (tests).
    """
    out = Path(out_dir)
    ck.check_out_dir(out)
    check_steps(config)
    out.mkdir(parents=True, exist_ok=True)
    _record_config(out / "build.json", config)
    src = CachedSource(source if source is not None else StreamSource(config.data))
    check_settings(config, len(src.charset))
    return Builder(config, out, src, threads, progress).run()


def check_steps(config: BuildConfig) -> None:
    """Every stage trains at least one step: 0 or less would package an untrained model."""
    for stage in STAGES:
        cfg = config.train_config(stage)
        if cfg.steps < 1 and cfg.samples < 1:
            raise ValueError(
                f"the {stage} stage has {cfg.steps} steps; give it at least 1 (--{stage}-steps N)"
            )


def check_settings(config: BuildConfig, classes: int) -> None:
    """Fail before any training if a per-layer setting names no layer of the factored model.

    Raises:
        ValueError: naming the setting and the layers there are.
    """
    ranks = {name: 1 for name in config.lowrank.energy}  # any rank: only names matter here
    ranks.update(config.lowrank.ranks)
    model = LowRankLSTM(replace(config.model, num_classes=classes), ranks)
    resolve(model, config.pruning.sparsity, None, "pruning sparsity")
    resolve(model, config.quantization.clusters, None, "quantization clusters")
    if config.prune.steps <= config.pruning.steps_to_target:
        logger.warning(
            "the prune stage has %d steps but the pruning schedule reaches its "
            "targets at step %d: no retraining at full sparsity",
            config.prune.steps,
            config.pruning.steps_to_target,
        )


class Builder:
    def __init__(
        self, config: BuildConfig, out: Path, src: CachedSource, threads: int | None, progress: bool
    ) -> None:
        self.config, self.out, self.src, self.progress = config, out, src, progress
        self.threads = threads
        self.result = BuildResult(out_dir=out, package=None, report=None)
        self.models: dict[str, nn.Module] = {}
        self.finals: dict[str, dict[str, Any]] = {}

    def mark(self, stage: str, ran: bool) -> None:
        (self.result.ran if ran else self.result.skipped).append(stage)
        logger.info("stage %s: %s", stage, "done" if ran else "already there, skipped")

    def run(self) -> BuildResult:
        self.data()
        for stage in BUILD_STAGES:
            if not self.train_stage(stage):
                self.result.stopped = True
                return self.result
        self.export()
        self.packages()
        self.report()
        return self.result

    # -- stages -----------------------------------------------------------------------
    def data(self) -> None:
        path = self.out / "data.json"
        if path.is_file():
            stored = json.loads(path.read_text(encoding="utf-8"))["charset"]
            if stored != self.src.charset:
                raise ValueError(
                    f"{path} holds another class list than the data now gives; "
                    "build into a fresh folder"
                )
            self.mark("data", ran=False)
            return
        info = {
            "charset": self.src.charset,
            "classes": len(self.src.charset),
            "data": ck.plain(self.config.data),
        }
        atomic_write_text(path, json.dumps(info, ensure_ascii=False, indent=1) + "\n")
        self.mark("data", ran=True)

    def start_model(self, stage: Stage) -> nn.Module:
        """The model ``stage`` starts training from (a factored stage also writes its
        factorization's figures to FACTOR_FILE, read back as its details when it is done)."""
        if stage.start is None:
            return BaselineLSTM(replace(self.config.model, num_classes=len(self.src.charset)))
        if not stage.factored:
            return rebuilt(self.models[stage.start])
        model, report = factorize(self.models[stage.start], self.config.lowrank)  # type: ignore[arg-type]
        folder = self.out / stage.name
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / FACTOR_FILE, json.dumps(report, indent=1))
        return model

    def train_stage(self, spec: Stage) -> bool:
        """Train (or resume, or skip) one stage; False when a signal stopped it."""
        stage = spec.name
        callbacks = spec.callbacks(self.config, self.models.get(spec.start) if spec.start else None)
        folder = self.out / stage
        final = folder / "final.pt"
        if final.is_file():
            saved = ck.read_checkpoint(final)
            model = build_model_from_spec(saved["model_spec"])
            model.load_state_dict(saved["model"])
            self.models[stage], self.finals[stage] = model.eval(), saved
            self.mark(stage, ran=False)
            return True
        last = folder / ck.LAST
        init = last if last.is_file() else None
        if init is not None:
            model = build_model_from_spec(ck.read_checkpoint(init)["model_spec"])
        else:
            # Seeded before the model is made, so the baseline's initial weights (and so
            # every build) are the same each time (issue 17: they came from an unseeded
            # generator and two clean builds differed).
            seed_everything(self.config.train_config(stage).seed)
            model = self.start_model(spec)
        cfg = self.config.train_config(stage)
        if self.threads is not None:
            cfg = replace(cfg, threads=self.threads)
        result = train(
            model,
            cfg,
            self.config.data,
            folder,
            list(callbacks),
            init_checkpoint=init,
            source=self.src,
            progress=self.progress,
        )
        if result.stopped:
            logger.warning(
                "stage %s stopped at step %d; run the build again to resume", stage, result.step
            )
            return False
        details: dict[str, Any] = {}
        for cb in callbacks:
            details.update(cb.finalize(model))
        if spec.factored:
            details = json.loads((folder / FACTOR_FILE).read_text())
        torch.set_num_threads(max(1, cfg.threads))
        acc = evaluate(model, self.src.validation(cfg.val_batch_size), top=10)
        header = ck.run_header(model, cfg, self.src.charset, self.src.preprocess, self.config.data)
        saved = ck.make_checkpoint(
            header,
            model,
            result.step,
            result.samples_seen,
            elapsed_s=result.elapsed_s,
            details=details,
            eval={k: acc[k] for k in ("n", "top1", "top10", "loss")},
        )
        ck.atomic_save(saved, final)
        self.models[stage], self.finals[stage] = model.eval(), saved
        logger.info(
            "stage %s: top-1 %.2f%%, top-10 %.2f%%", stage, 100 * acc["top1"], 100 * acc["top10"]
        )
        self.mark(stage, ran=True)
        return True

    def export(self) -> None:
        folder = self.out / "onnx"
        todo = [s for s in STAGES if not (folder / f"{s}.onnx").is_file()]
        for stage in todo:
            data = to_onnx(self.models[stage]).SerializeToString()
            folder.mkdir(parents=True, exist_ok=True)
            with atomic_open(folder / f"{stage}.onnx") as f:
                f.write(data)
        self.mark("export", ran=bool(todo))

    def packages(self) -> None:
        folder = self.out / "packages"
        folder.mkdir(parents=True, exist_ok=True)
        final = self.out / self.config.package_name
        todo = [s for s in STAGES if not (folder / f"{s}.xiezi").is_file()]
        for stage in todo:
            self.write_stage_package(folder / f"{stage}.xiezi", stage)
        if todo or not final.is_file():
            tmp = final.with_name(f".{final.name}.tmp")
            shutil.copyfile(folder / f"{STAGES[-1]}.xiezi", tmp)
            tmp.replace(final)
        self.result.package = final
        self.mark("package", ran=bool(todo))

    def write_stage_package(self, path: Path, stage: str, **extra_info: Any) -> None:
        """Package the finished ``stage``; its info: the stage, preset, model spec, validation,
        per-layer details and training steps, plus ``extra_info``."""
        saved = self.finals[stage]
        info = {
            "stage": stage,
            "preset": self.config.preset,
            "model_spec": saved["model_spec"],
            "validation": saved["eval"],
            "details": saved["details"],
            "train_steps": saved["step"],
            **extra_info,
        }
        write_model_package(
            path, self.models[stage], self.src.charset, self.src.preprocess, ck.plain(info)
        )

    def report(self) -> None:
        path = self.out / "report.json"
        if path.is_file():
            self.result.report = json.loads(path.read_text(encoding="utf-8"))
            self.mark("report", ran=False)
            return
        cfg = self.config
        runners = {
            s: measure.OrtModel((self.out / "onnx" / f"{s}.onnx").read_bytes()) for s in STAGES[:-1]
        }
        pkg = load_package(self.out / cfg.package_name)
        runners[STAGES[-1]] = measure.OrtModel(pkg.onnx_bytes, dict(pkg.tensors))
        lat = measure.latencies(runners, runs=cfg.latency_runs, seq_len=cfg.seq_len)
        rows = []
        for stage in STAGES:
            model, saved = self.models[stage], self.finals[stage]
            params, nonzero = measure.param_counts(model)
            fp32 = REGISTRY[stage].fp32
            size_path = (
                self.out / "onnx" / f"{stage}.onnx"
                if fp32
                else self.out / "packages" / f"{stage}.xiezi"
            )
            rows.append(
                StageRow(
                    stage=stage,
                    description=REGISTRY[stage].description,
                    top1=saved["eval"]["top1"],
                    top10=saved["eval"]["top10"],
                    params=params,
                    params_nonzero=nonzero,
                    size_bytes=size_path.stat().st_size,
                    size_of="fp32 ONNX" if fp32 else "package",
                    macs=measure.macs_per_char(model, cfg.seq_len)["total"],
                    macs_dense=measure.macs_per_char(model, cfg.seq_len, dense=True)["total"],
                    latency_median_ms=lat[stage].median_ms,
                    latency_p95_ms=lat[stage].p95_ms,
                    details={
                        **saved["details"],
                        "latency_min_ms": round(lat[stage].min_ms, 3),
                        "latency_cold_median_ms": round(lat[stage].cold_median_ms, 3),
                        "train_steps": saved["step"],
                        "train_s": round(float(saved["elapsed_s"]), 1),
                    },
                )
            )
        meta = {
            "preset": cfg.preset,
            "classes": len(self.src.charset),
            "data": cfg.data.source,
            **measured_on(
                self.finals["baseline"]["eval"]["n"], cfg.seq_len, cfg.latency_runs, processor=True
            ),
        }
        self.result.report = make_report(rows, meta)
        if cfg.yardstick_inks > 0:
            logger.info("measuring the yardsticks on %d held-out inks each", cfg.yardstick_inks)
            self.result.report["yardsticks"] = yardsticks.measure(
                self.out / cfg.package_name, cfg.data, cfg.yardstick_inks, cfg.realism_card
            )
        write_report(self.out, self.result.report)
        self.mark("report", ran=True)


def rebuilt(model: nn.Module) -> nn.Module:
    """A copy of ``model`` made from its spec: parameters in the model's own order, as a
    resumed stage has them (a finished pass's parametrizations, once removed, put theirs
    last, and the optimizer state of a checkpoint follows the order of the parameters)."""
    with torch.random.fork_rng():  # the fresh weights, overwritten, draw nothing for the build
        copy = build_model_from_spec(model_spec(model))
    copy.load_state_dict(model.state_dict())
    return copy


def _record_config(path: Path, config: BuildConfig) -> None:
    """Write build.json, or warn about what differs from the one already there."""
    now = config.to_dict()
    if path.is_file():
        before = json.loads(path.read_text(encoding="utf-8"))
        if before.get("preset") != now["preset"]:
            raise ValueError(
                f"{path.parent} holds a {before.get('preset')!r} build, not "
                f"{now['preset']!r}; build into another folder"
            )
        changed = sorted(k for k in now if before.get(k) != now[k])
        if changed:
            logger.warning("settings changed since this build started: %s", ", ".join(changed))
    atomic_write_text(path, json.dumps(now, indent=1, ensure_ascii=False) + "\n")
