"""The ``trainer`` command: train, eval, and the data (preview) and compression (build) commands.

Each subcommand maps its arguments into a config dataclass and calls a library function;
the data (``trainer.data.cli``) and build (``trainer.build.cli``) subcommands are registered
by their modules and set ``func(args) -> int`` with ``set_defaults``.
"""

from __future__ import annotations

import os

# Before torch starts its OpenMP pool: idle threads must sleep, not spin (README.md; a
# spinning pool made LSTM training 24x slower beside another process).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.runtime import thread_count

logger = logging.getLogger(__name__)

#: train arguments that may change when a run resumes (the rest come from its checkpoint).
RESUMABLE = (
    "steps",
    "samples",
    "threads",
    "device",
    "val_every",
    "log_every",
    "checkpoint_minutes",
    "checkpoint_every",
    "workers",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer",
        description="Train, evaluate and build (compress) Xiezi models; preview the data.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train(sub)
    add_eval(sub)
    from trainer.build.cli import register as register_build
    from trainer.data.cli import register as register_data

    register_data(sub)
    register_build(sub)
    return parser


def add_train(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model (resumable; runs under torchrun too)")
    p.add_argument("--out", required=True, type=Path, help="run folder (checkpoints, metrics)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    g = p.add_argument_group("data (trainer.data.DataConfig)")
    g.add_argument("--data", dest="source", choices=("synthetic", "pot", "jsonl"))
    g.add_argument("--data-path", dest="paths", action="append", metavar="PATH")
    g.add_argument("--classes", dest="num_classes", type=int)
    g.add_argument("--charset")
    g.add_argument("--batch-size", type=int)
    g.add_argument("--bucket-batches", type=int)
    g.add_argument("--val-per-class", type=int)
    g.add_argument("--data-seed", type=int)
    g.add_argument("--no-augment", dest="augment", action="store_const", const=False)
    m = p.add_argument_group("model (trainer.model.ModelConfig)")
    m.add_argument("--hidden1", type=int)
    m.add_argument("--hidden2", type=int)
    m.add_argument("--fc", type=int)
    m.add_argument("--pooling", choices=("mean", "last"))
    m.add_argument("--dropout", type=float)
    t = p.add_argument_group("training (trainer.train.TrainConfig)")
    t.add_argument("--steps", type=int)
    t.add_argument("--samples", type=int, help="train on this many samples instead of --steps")
    t.add_argument("--lr", type=float)
    t.add_argument("--schedule", choices=("cosine", "onecycle", "constant"))
    t.add_argument("--warmup-steps", type=int)
    t.add_argument("--min-lr-ratio", type=float)
    t.add_argument("--weight-decay", type=float)
    t.add_argument("--grad-clip", type=float)
    t.add_argument("--label-smoothing", type=float)
    t.add_argument("--val-every", type=int)
    t.add_argument("--log-every", type=int)
    t.add_argument("--checkpoint-minutes", type=float)
    t.add_argument("--checkpoint-every", type=int, help="also checkpoint every N steps")
    t.add_argument("--threads", type=thread_count, help="torch threads, 1 .. the CPU cores")
    t.add_argument("--device", choices=("auto", "cpu", "cuda"))
    t.add_argument("--seed", type=int)
    t.add_argument("--workers", type=int, choices=(0, 1, 2, 4))
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)


def add_eval(sub: Any) -> None:
    p = sub.add_parser("eval", help="top-1/top-k accuracy of a checkpoint on a JSONL ink file")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("inks", type=Path, help="JSONL ink file with labels")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--confused", type=int, default=10, help="confused pairs to show")
    p.add_argument("--threads", type=thread_count, default=2, help="torch threads (default 2)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_eval)


def _given(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def from_plain(cls: Any, values: dict[str, Any]) -> Any:
    """Rebuild a (nested) dataclass from checkpoint.plain() output; lists become tuples."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in values:
            continue
        v = values[f.name]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default) and isinstance(v, dict):
            v = from_plain(type(default), v)
        elif isinstance(v, list):
            v = tuple(v)
        kwargs[f.name] = v
    return cls(**kwargs)


def cmd_train(args: argparse.Namespace) -> int:
    from trainer.checkpoint import LAST, check_out_dir, read_checkpoint
    from trainer.data.config import DataConfig
    from trainer.data.feed import StreamSource
    from trainer.model import ModelConfig, build_model_from_spec
    from trainer.train import TrainConfig, seed_everything, train

    check_out_dir(args.out)
    train_names = [f.name for f in dataclasses.fields(TrainConfig)]
    last = args.out / LAST
    init = None
    source = None
    if args.resume and last.is_file():
        ckpt = read_checkpoint(last)
        tc = from_plain(TrainConfig, {**ckpt["train_config"], **_given(args, RESUMABLE)})
        dc = from_plain(DataConfig, ckpt["data_config"])
        ignored = set(_given(args, train_names)) - set(RESUMABLE)
        if ignored:
            logger.warning("resuming: %s come from the checkpoint", ", ".join(sorted(ignored)))
        model = build_model_from_spec(ckpt["model_spec"])
        init = last
    else:
        if args.resume:
            logger.warning("no %s yet: starting the run", last)
        elif last.exists():
            raise ValueError(f"{args.out} already holds a run; pass --resume or another --out")
        tc = TrainConfig(**_given(args, train_names))
        given = _given(args, [f.name for f in dataclasses.fields(DataConfig)])
        if args.data_seed is not None:
            given["seed"] = args.data_seed
        if "paths" in given:
            given["paths"] = tuple(given["paths"])
        dc = DataConfig(**given)
        source = StreamSource(dc)
        classes = len(source.charset)
        mc = ModelConfig(
            classes, **_given(args, ["hidden1", "hidden2", "fc", "pooling", "dropout"])
        )
        seed_everything(tc.seed)  # the weights' initialization
        model = build_model_from_spec({"kind": "baseline", "config": mc.to_dict()})
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():  # log lines print above the progress bar, not through it
        result = train(
            model,
            tc,
            dc,
            args.out,
            init_checkpoint=init,
            source=source,
            progress=not args.no_progress,
        )
    if int(os.environ.get("RANK", "0")) != 0:
        return 0  # under torchrun, rank 0 reports
    if result.stopped:
        print(
            f"stopped at step {result.step}; continue with: trainer train --out {args.out} --resume"
        )
        return 0
    top1 = "-" if result.val_top1 is None else f"{100 * result.val_top1:.2f}%"
    top10 = "-" if result.val_top10 is None else f"{100 * result.val_top10:.2f}%"
    loss = "-" if result.loss is None else f"{result.loss:.4f}"
    print(
        f"step {result.step}, {result.samples_seen} samples, loss {loss}, "
        f"validation top-1 {top1} top-10 {top10}, {result.elapsed_s:.0f} s -> {result.checkpoint}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import torch

    from trainer.evaluate import evaluate_file

    torch.set_num_threads(args.threads)
    r = evaluate_file(args.checkpoint, args.inks, top=args.top, batch_size=args.batch_size)
    for _line, err in r["invalid"][:20]:
        print(f"skipped {args.inks}: {err}", file=sys.stderr)
    if r["n"] == 0:
        raise ValueError(
            f"{args.inks} holds no labelled ink of the model's classes "
            f"({len(r['invalid'])} bad lines)"
        )
    if args.json:
        print(json.dumps(r, ensure_ascii=False))
        return 0
    print(
        f"{r['n']} inks: top-1 {100 * r['top1']:.2f}%  top-{args.top} "
        f"{100 * r[f'top{args.top}']:.2f}%"
    )
    for t, p, c in r["confused"][: args.confused]:
        print(f"  {t} -> {p}  {c}")
    if r["unknown"]:
        n = sum(r["unknown"].values())
        shown = " ".join(f"{k}:{v}" for k, v in list(r["unknown"].items())[:20])
        print(f"{n} inks with labels outside the model's classes (not scored): {shown}")
    if r["unlabelled"]:
        print(f"{r['unlabelled']} inks without a label (not scored)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``trainer`` and ``python -m trainer``; returns the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    from trainer.errors import TrainerError

    try:
        return int(args.func(args))
    except (TrainerError, ValueError, FileNotFoundError) as e:
        print(f"trainer {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
