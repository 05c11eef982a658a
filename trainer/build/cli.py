"""`trainer build`: maps its arguments into a BuildConfig and runs trainer.build.pipeline."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from engine.runtime import thread_count
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
    p.add_argument(
        "--data-path",
        action="append",
        metavar="PATH",
        help="POT file/folder or JSONL file (repeatable)",
    )
    p.add_argument("--classes", type=int, help="number of classes (default: the preset's)")
    p.add_argument(
        "--threads",
        type=thread_count,
        default=2,
        help="torch threads for training, 1 .. the CPU cores (default 2)",
    )
    for stage in ("baseline", "svd", "prune", "quant"):
        p.add_argument(
            f"--{stage}-steps", type=int, metavar="N", help=f"optimizer steps of the {stage} stage"
        )
    p.add_argument("--latency-runs", type=int, metavar="N", help="timed runs per stage")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_build)
    register_finetune(subparsers)


def register_finetune(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``finetune`` to the ``trainer`` parser."""
    p = subparsers.add_parser(
        "finetune",
        help="retrain a model package under today's preprocessing (resumable), then package "
        "and report it",
        description="package -> retraining under its pruning masks -> k-means -> package -> "
        "report, with the data, pruning and quantization settings of --preset and writers the "
        "build never drew. An interrupted run continues where it stopped when run again.",
    )
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        type=Path,
        metavar="PACKAGE",
        help="the model package to start from (e.g. resources/model/xiezi-gb1.xiezi)",
    )
    p.add_argument("--out", required=True, type=Path, help="fine-tuning folder")
    p.add_argument("--preset", choices=sorted(PRESETS), default="full")
    p.add_argument(
        "--threads",
        type=thread_count,
        default=2,
        help="torch threads for training, 1 .. the CPU cores (default 2)",
    )
    p.add_argument(
        "--prune-steps",
        type=int,
        metavar="N",
        help="steps of retraining under the masks (default: the preset's prune)",
    )
    p.add_argument(
        "--quant-steps",
        type=int,
        metavar="N",
        help="steps of centroid fine-tuning (default: the preset's quant)",
    )
    p.add_argument("--data-seed", type=int, default=1, help="seed of the training writers")
    p.add_argument(
        "--yardstick-inks", type=int, metavar="N", help="held-out inks per yardstick (0: none)"
    )
    p.add_argument("--latency-runs", type=int, metavar="N", help="timed runs per model")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_finetune)


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
    return config.with_steps(
        baseline=args.baseline_steps,
        svd=args.svd_steps,
        prune=args.prune_steps,
        quant=args.quant_steps,
    )


def cmd_build(args: argparse.Namespace) -> int:
    from trainer.build.pipeline import build
    from trainer.data.errors import DataError
    from trainer.errors import CheckpointError

    try:
        config = config_from_args(args)
        result = build(config, args.out, threads=args.threads, progress=not args.no_progress)
    except (ValueError, DataError, CheckpointError) as e:
        print(f"trainer build: {e}")
        return 2
    if result.stopped:
        print(f"trainer build: stopped; run the same command again to resume ({args.out})")
        return 1
    print(
        f"stages run: {', '.join(result.ran) or 'none'}; "
        f"already there: {', '.join(result.skipped) or 'none'}"
    )
    print(f"package: {result.package}")
    print(f"report: {args.out / 'report.md'}")
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from engine.errors import ModelLoadError
    from trainer.build.finetune import FinetuneConfig, finetune
    from trainer.data.errors import DataError
    from trainer.errors import CheckpointError

    build = preset(args.preset).with_steps(prune=args.prune_steps, quant=args.quant_steps)
    if args.yardstick_inks is not None:
        build = replace(build, yardstick_inks=args.yardstick_inks)
    if args.latency_runs is not None:
        build = replace(build, latency_runs=args.latency_runs)
    config = FinetuneConfig(source=args.source, build=build, data_seed=args.data_seed)
    try:
        report = finetune(config, args.out, threads=args.threads, progress=not args.no_progress)
    except (ValueError, DataError, CheckpointError, ModelLoadError) as e:
        print(f"trainer finetune: {e}")
        return 2
    if report is None:
        print(f"trainer finetune: stopped; run the same command again to resume ({args.out})")
        return 1
    print(f"package: {args.out / build.package_name}")
    print(f"report: {args.out / 'report.md'}")
    return 0
