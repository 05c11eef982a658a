"""The model's latency per character, as the build report measures it, for any packages.

Batch 1, one onnxruntime thread, the engine's own session settings; the packages are timed
interleaved in blocks of 10 on the same random character (``trainer.compress.measure``), at
each ``--points`` length (70 is the paper's and the build report's). Packages of another
preprocessing version are timed too (only their graph runs here). Needs the `train` extra.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_latency.py \\
        [PACKAGE ...] [--points 35,49,70] [--runs 300]

With no package, the bundled model.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.package import load_package
from engine.resources import DEFAULT_MODEL, resource_path
from trainer.compress.measure import OrtModel, latencies


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*", type=Path)
    ap.add_argument("--points", default="35,49,70", help="sequence lengths, comma-separated")
    ap.add_argument("--runs", type=int, default=300, help="warm runs per package and length")
    args = ap.parse_args()
    paths = args.packages or [resource_path(*DEFAULT_MODEL)]
    models = {}
    for path in paths:
        pkg = load_package(path, any_preprocess=True)
        models[str(path)] = OrtModel(pkg.onnx_bytes, dict(pkg.tensors))
    print(f"{'package':<50}{'T':>5}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}{'cold ms':>9}")
    for t in (int(p) for p in args.points.split(",")):
        for name, lat in latencies(models, runs=args.runs, seq_len=t).items():
            print(
                f"{name[-50:]:<50}{t:>5}{lat.median_ms:>11.3f}{lat.p95_ms:>9.3f}"
                f"{lat.min_ms:>9.3f}{lat.cold_median_ms:>9.3f}"
            )
    print(f"(1-min load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
