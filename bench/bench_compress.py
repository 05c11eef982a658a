"""Size and latency the compression defaults give on a full-size model (random weights).

Applies the full preset's passes without training (SVD at the default ranks, pruning straight
to the target sparsity, k-means) to a randomly initialized 3755-class baseline and measures,
against its fp32 ONNX: package size, MACs per character at T=70 and the median / p95 latency
per character on one onnxruntime thread (stages timed interleaved). Accuracy needs training:
see the build report (`trainer build`). Usage:

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_compress.py [--runs 100]
        [--classes 3755] [--rank-hh 48] [--rank-fc2 0] [--stride2 1] [--json OUT.json]
    .venv/bin/python bench/bench_compress.py --build DIR   # the ratios of a build's report
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

from engine.package import load_package
from engine.preprocess import PreprocessConfig
from trainer.build.presets import BuildConfig, full
from trainer.compress import measure
from trainer.compress.export import to_onnx
from trainer.compress.pack import write_model_package
from trainer.compress.prune import AdaptiveDropWeight
from trainer.compress.quantize import KMeansQuantizer
from trainer.compress.svd import LowRankConfig, factorize
from trainer.model import BaselineLSTM


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--classes", type=int, default=3755)
    p.add_argument("--rank-ih", type=int, help="override the default W_ih rank")
    p.add_argument("--rank-hh", type=int, help="override the default W_hh rank")
    p.add_argument("--rank-fc2", type=int, help="override the fc2 rank (0: dense)")
    p.add_argument(
        "--stride2", type=int, help="override the second LSTM's time stride of the factored model"
    )
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--build", type=Path, help="print the ratios of DIR/report.json instead")
    return p


def _lowrank(cfg: BuildConfig, args: argparse.Namespace) -> tuple[dict[str, int], LowRankConfig]:
    """The preset's low-rank config with the ranks and stride the options override."""
    ranks = dict(cfg.lowrank.ranks)
    for key, value in (
        ("lstm2.weight_ih", args.rank_ih),
        ("lstm2.weight_hh", args.rank_hh),
        ("fc2.weight", args.rank_fc2),
    ):
        if value == 0:
            ranks.pop(key, None)
        elif value is not None:
            ranks[key] = value
    lowrank = replace(cfg.lowrank, ranks=ranks)
    if args.stride2 is not None:
        lowrank = replace(lowrank, stride2=args.stride2)
    return ranks, lowrank


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    if args.build is not None:
        report = json.loads((args.build / "report.json").read_text(encoding="utf-8"))
        for row in report["stages"]:
            print(row["stage"], json.dumps(row["vs_baseline"]))
        print("targets met:", json.dumps(report["targets"]["met"]))
        return 0
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = full()
    ranks, lowrank = _lowrank(cfg, args)
    charset = "".join(chr(0x4E00 + i) for i in range(args.classes))

    base = BaselineLSTM(replace(cfg.model, num_classes=args.classes)).eval()
    svd, energy = factorize(base, lowrank)
    pruned, _ = factorize(base, lowrank)
    adw = AdaptiveDropWeight(cfg.pruning)
    adw.prepare(pruned)
    sparsity = adw.finalize(pruned)
    quant, _ = factorize(base, lowrank)
    quant.load_state_dict(pruned.state_dict())
    km = KMeansQuantizer(cfg.quantization)
    km.prepare(quant)
    distinct = km.finalize(quant)

    with tempfile.TemporaryDirectory() as tmp:
        pkg_path = Path(tmp) / "quant.xiezi"
        prune_path = Path(tmp) / "prune.xiezi"
        encodings = write_model_package(pkg_path, quant.eval(), charset, PreprocessConfig(), {})
        write_model_package(prune_path, pruned.eval(), charset, PreprocessConfig(), {})
        pkg = load_package(pkg_path)
        onnx = {
            "baseline": to_onnx(base).SerializeToString(),
            "svd": to_onnx(svd.eval()).SerializeToString(),
        }
        runners = {k: measure.OrtModel(v) for k, v in onnx.items()}
        runners["quant"] = measure.OrtModel(pkg.onnx_bytes, dict(pkg.tensors))
        lat = measure.latencies(runners, runs=args.runs)
        sizes = {
            "baseline": len(onnx["baseline"]),
            "svd": len(onnx["svd"]),
            "prune": prune_path.stat().st_size,
            "quant": pkg_path.stat().st_size,
        }
    models = {"baseline": base, "svd": svd, "prune": pruned, "quant": quant}
    figures = {
        "ranks": ranks,
        "stride2": svd.config.stride2,
        "energy_kept_random_init": {k: v["energy"] for k, v in energy.items()},
        "sparsity": {k: v["sparsity"] for k, v in sparsity.items()},
        "distinct": {k: v["distinct_nonzero"] for k, v in distinct.items()},
        "encodings": encodings,
        "size_bytes": sizes,
        "size_x": {k: sizes["baseline"] / v for k, v in sizes.items()},
        "params_nonzero": {k: measure.param_counts(m)[1] for k, m in models.items()},
        "macs_per_char": {k: measure.macs_per_char(m)["total"] for k, m in models.items()},
        "latency_ms": {
            k: {
                "median": v.median_ms,
                "p95": v.p95_ms,
                "min": v.min_ms,
                "cold_median": v.cold_median_ms,
            }
            for k, v in lat.items()
        },
        "speedup_x": {k: lat["baseline"].median_ms / v.median_ms for k, v in lat.items()},
        "speedup_x_min": {k: lat["baseline"].min_ms / v.min_ms for k, v in lat.items()},
        "runs": args.runs,
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
