"""The build report: one row per stage as in Yang et al.'s table, as JSON and Markdown."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from engine.atomic import atomic_write_text
from engine.session import ort  # the one import point: telemetry off (issue 22)
from trainer.split_yardstick import splits_markdown
from trainer.text_yardstick import text_markdown

#: Figures the issue asks of the final stage against the fp32 baseline (issue 5).
TARGETS = {"size_x": 30.0, "speedup_x": 3.0, "top1_drop_points": 0.5}


@dataclass
class StageRow:
    """What one stage measured.

    Attributes:
        stage: "baseline", "svd", "prune" or "quant". description: one line of what it did.
        top1, top10: validation accuracy (fractions).
        params, params_nonzero: all parameters and the non-zero ones.
        size_bytes: bytes on disk; ``size_of`` says of what ("fp32 ONNX" or "package").
        macs, macs_dense: per character at ``seq_len`` points, counting non-zero weights /
            every weight (what onnxruntime executes).
        latency_median_ms, latency_p95_ms: per character, batch 1, one onnxruntime thread.
        details: per-layer figures of the stage (energy kept, sparsity, distinct values).
    """

    stage: str
    description: str
    top1: float
    top10: float
    params: int
    params_nonzero: int
    size_bytes: int
    size_of: str
    macs: int
    macs_dense: int
    latency_median_ms: float
    latency_p95_ms: float
    details: dict[str, Any] = field(default_factory=dict)


def measured_on(
    val_samples: int, seq_len: int, latency_runs: int, processor: bool = False
) -> dict[str, Any]:
    """The meta fields both reports (build and fine-tuning) share: how much was validated,
    how latency was measured, and on what (``processor``: the build report names it too)."""
    meta: dict[str, Any] = {
        "val_samples": val_samples,
        "seq_len": seq_len,
        "latency_runs": latency_runs,
        "machine": platform.machine(),
    }
    if processor:
        meta["processor"] = platform.processor() or platform.machine()
    return {**meta, "torch": torch.__version__, "onnxruntime": ort.__version__}


def ratios(row: StageRow, base: StageRow) -> dict[str, float]:
    """The row against the baseline: x-times smaller / fewer / faster, top-1 drop in points."""

    def div(a: float, b: float) -> float:
        return a / b if b else float("inf")

    return {
        "size_x": div(base.size_bytes, row.size_bytes),
        "params_x": div(base.params_nonzero, row.params_nonzero),
        "macs_x": div(base.macs, row.macs),
        "speedup_x": div(base.latency_median_ms, row.latency_median_ms),
        "top1_drop_points": 100.0 * (base.top1 - row.top1),
    }


def make_report(rows: list[StageRow], meta: dict[str, Any]) -> dict[str, Any]:
    """{"meta", "stages": [row + "vs_baseline"], "final", "targets"}; rows[0] is the baseline."""
    if not rows or rows[0].stage != "baseline":
        raise ValueError("the first row of a report must be the baseline")
    base = rows[0]
    stages = [{**asdict(r), "vs_baseline": ratios(r, base)} for r in rows]
    final = stages[-1]["vs_baseline"]
    met = {
        "size_x": final["size_x"] >= TARGETS["size_x"],
        "speedup_x": final["speedup_x"] >= TARGETS["speedup_x"],
        "top1_drop_points": final["top1_drop_points"] <= TARGETS["top1_drop_points"],
    }
    return {"meta": meta, "stages": stages, "targets": {"wanted": TARGETS, "met": met}}


def render_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown page: the stage table, the targets, the per-layer details."""
    meta = report["meta"]
    seq = meta.get("seq_len", 70)
    lines = [
        f"# Xiezi build report: preset {meta.get('preset', '?')}",
        "",
        (
            f"{meta.get('classes', '?')} classes, data `{meta.get('data', '?')}`, validation on "
            f"{meta.get('val_samples', '?')} samples. Latency per character: batch 1, {seq} "
            f"points, one onnxruntime thread, {meta.get('latency_runs', '?')} warm runs per stage, "
            "the stages interleaved in blocks of 10; cold: the median of each block's first run, "
            "just after the other stages ran (caches swept). "
            f"MACs per character at T={seq} count non-zero weights "
            "(dense: every weight, as onnxruntime runs them)."
        ),
        "",
        (
            "| stage | top-1 | top-10 | params (non-zero) | size | MACs/char (dense) "
            "| latency median / p95 (cold) | smaller | faster | top-1 drop |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["stages"]:
        v = s["vs_baseline"]
        lines.append(
            f"| {s['stage']} | {100 * s['top1']:.2f}% | {100 * s['top10']:.2f}% "
            f"| {s['params_nonzero']:,} of {s['params']:,} "
            f"| {_size(s['size_bytes'])} ({s['size_of']}) "
            f"| {s['macs'] / 1e6:.2f} M ({s['macs_dense'] / 1e6:.2f} M) "
            f"| {s['latency_median_ms']:.2f} / {s['latency_p95_ms']:.2f} ms "
            f"({_ms(s['details'].get('latency_cold_median_ms'))}) "
            f"| {v['size_x']:.1f}x | {v['speedup_x']:.2f}x | {v['top1_drop_points']:+.2f} pt |"
        )
    wanted, met = report["targets"]["wanted"], report["targets"]["met"]
    if meta.get("preset") == "tiny":
        classes = meta.get("classes")
        chance = f" (chance: {100 / classes:.1f}%)" if isinstance(classes, int) and classes else ""
        lines += [
            "",
            (
                "This is the tiny preset: a check that the whole pipeline runs and that the model "
                f"learns; its top-1 should be well above chance{chance}. Its sizes, speeds and "
                "ratios mean nothing: a model this small is dominated by fixed costs, so the "
                "compressed stages may even run slower. The targets of issue 5 apply to "
                "`trainer build --preset full` and are not judged here."
            ),
        ]
    else:
        lines += [
            "",
            (
                "Targets of the final stage against the fp32 baseline (issue 5): "
                f"at least {wanted['size_x']:.0f}x smaller: {_yes(met['size_x'])}; "
                f"at least {wanted['speedup_x']:.0f}x faster: {_yes(met['speedup_x'])}; "
                f"top-1 drop at most {wanted['top1_drop_points']} points: "
                f"{_yes(met['top1_drop_points'])}."
            ),
        ]
    if report.get("yardsticks"):
        lines += yardsticks_markdown(report["yardsticks"])
    for s in report["stages"]:
        if s["details"]:
            lines += [
                "",
                f"## {s['stage']}: {s['description']}",
                "",
                "```",
                json.dumps(s["details"], indent=1, ensure_ascii=False),
                "```",
            ]
    return "\n".join(lines) + "\n"


def yardsticks_markdown(y: dict[str, Any]) -> list[str]:
    """The yardsticks as Markdown lines for the build report."""
    sets = list(next(iter(y["digitizers"].values())))
    lines = [
        "",
        "## Yardsticks from outside the generator",
        "",
        (
            f"Digitizer sweep (top-1; synthetic: {y['inks']} held-out writers of the "
            "training population as the synthesizer samples them):"
        ),
        "",
        "| device | " + " | ".join(sets) + " |",
        "|---" * (len(sets) + 1) + "|",
    ]
    for name, row in y["digitizers"].items():
        lines.append(
            f"| {name} | " + " | ".join(f"{100 * row[s]['top1']:.1f}%" for s in sets) + " |"
        )
    lines += ["", "| set | inks | top-1 | top-10 |", "|---|---|---|---|"]
    for name, r in {**y["shapes"], **y["real"]}.items():
        lines.append(f"| {name} | {r['n']} | {100 * r['top1']:.1f}% | {100 * r['top10']:.1f}% |")
    if y.get("text"):
        lines += text_markdown(y["text"])
    if y.get("splits"):
        lines += splits_markdown(y["splits"])
    if y.get("realism"):
        lines += [
            "",
            "Realism card of the training writers (`../shared/realism/realism.py`):",
            "",
            "```",
            y["realism"].rstrip(),
            "```",
        ]
    return lines


def write_report(out_dir: str | Path, report: dict[str, Any]) -> tuple[Path, Path]:
    """Write report.json and report.md into ``out_dir``, each atomically."""
    out = Path(out_dir)
    paths = out / "report.json", out / "report.md"
    atomic_write_text(paths[0], json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(paths[1], render_markdown(report))
    return paths


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} KB"


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} ms"


def _yes(ok: bool) -> str:
    return "met" if ok else "NOT met"
