"""`trainer build`: maps its arguments into a BuildConfig and runs trainer.build.pipeline."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from trainer.build.presets import PRESETS, BuildConfig, preset


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``build`` to the ``trainer`` parser."""
    p = subparsers.add_parser(
        "build",
        help="train and compress a model end to end (resumable), write the package and report",
        description="data -> baseline -> SVD -> Adaptive Drop Weight -> k-means -> ONNX -> "
        "package -> report. Each stage is skipped when its output is in --out; an "
        "interrupted build continues where it stopped when run again.",
    )
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    p.add_argument("--out", required=True, type=Path, help="build folder")
    p.add_argument("--data", choices=("synthetic", "pot", "jsonl"), help="data source")
    p.add_argument("--data-path", action="append", metavar="PATH",
                   help="POT file/folder or JSONL file (repeatable)")
    p.add_argument("--classes", type=int, help="number of classes (default: the preset's)")
    p.add_argument("--threads", type=int, default=2, help="torch threads for training")
    for stage in ("baseline", "svd", "prune", "quant"):
        p.add_argument(f"--{stage}-steps", type=int, metavar="N",
                       help=f"optimizer steps of the {stage} stage")
    p.add_argument("--latency-runs", type=int, metavar="N", help="timed runs per stage")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_build)


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    config = preset(args.preset)
    data = config.data
    if args.data is not None:
        data = replace(data, source=args.data)
    if args.data_path:
        data = replace(data, paths=tuple(args.data_path))
    if args.classes is not None:
        data = replace(data, num_classes=args.classes)
    config = replace(config, data=data)
    if args.latency_runs is not None:
        config = replace(config, latency_runs=args.latency_runs)
    return config.with_steps(baseline=args.baseline_steps, svd=args.svd_steps,
                             prune=args.prune_steps, quant=args.quant_steps)


def cmd_build(args: argparse.Namespace) -> int:
    from trainer.build.pipeline import build
    from trainer.data.errors import DataError
    from trainer.errors import CheckpointError

    if args.threads < 1:
        print("trainer build: --threads must be at least 1")
        return 2
    try:
        config = config_from_args(args)
        result = build(config, args.out, threads=args.threads, progress=not args.no_progress)
    except (ValueError, DataError, CheckpointError) as e:
        print(f"trainer build: {e}")
        return 2
    if result.stopped:
        print(f"trainer build: stopped; run the same command again to resume ({args.out})")
        return 1
    print(f"stages run: {', '.join(result.ran) or 'none'}; "
          f"already there: {', '.join(result.skipped) or 'none'}")
    print(f"package: {result.package}")
    print(f"report: {args.out / 'report.md'}")
    return 0
