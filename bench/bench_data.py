"""Throughput of the training data: synthesized + featurized samples per second on one core.

Runs TrainStream in this one process (torch threads 1, no DataLoader workers) and prints a
table and a JSON line. Issue 3 asks for at least 2,000 samples/s per core. Rates are per
second of this process's CPU time, so other work on a shared machine does not count against
them; the wall-clock rate is printed too.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_data.py [--bucket-batches 16] [--classes 3755]
"""  # noqa: E501 (a command line)

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from engine.preprocess import PreprocessConfig, preprocess_arrays
from trainer.data.config import DataConfig
from trainer.data.dataset import WORKER_STRIDE, TrainStream
from trainer.data.sources import SyntheticSource


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=3755)
    ap.add_argument("--bucket-batches", type=int, default=16)
    ap.add_argument("--samples", type=int, default=1000, help="samples timed per part")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg = DataConfig(num_classes=args.classes, bucket_batches=args.bucket_batches)
    # whole bucket groups, one per residue class: every sample made is also handed out
    n_batches = WORKER_STRIDE * args.bucket_batches
    pre = PreprocessConfig()

    t0 = time.perf_counter()
    stream = TrainStream(cfg, pre)
    setup_s = time.perf_counter() - t0

    # steady state: the synthesizer caches each template's geometry on first use
    source = SyntheticSource(cfg)
    t0 = time.perf_counter()
    source.train_many(range(args.classes))
    warm_s = time.perf_counter() - t0

    # the two halves of one sample: synthesis, then featurization
    n = args.samples
    t0 = time.process_time()
    raw = source.train_many(range(args.classes, args.classes + n))
    synth_s = (time.process_time() - t0) / n
    t0 = time.process_time()
    lengths = [len(preprocess_arrays(xy, sid, pre, rng)) for xy, sid, _, rng in raw]
    feat_s = (time.process_time() - t0) / n
    points = [len(xy) for xy, *_ in raw]

    made = 0
    train_many = stream.source.train_many

    def counting(indices: range):  # type: ignore[no-untyped-def]
        nonlocal made
        made += len(indices)
        return train_many(indices)

    # In-order reading makes each batch's share of the next group as it goes, so the
    # stream's rate is samples made (synthesized, featurized, bucketed, padded) per second.
    stream.source.train_many = counting  # type: ignore[method-assign]
    it = iter(stream)
    t0, c0 = time.perf_counter(), time.process_time()
    samples = padded = 0
    for _ in range(n_batches):
        x, lg, _, _ = next(it)
        samples += len(lg)
        padded += x.shape[0] * x.shape[1] - int(lg.sum())
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    result = {
        "samples_per_cpu_s": round(made / cpu_s, 1),
        "samples_per_wall_s": round(made / wall_s, 1),
        "samples_made": made,
        "samples_handed_out": samples,
        "synthesize_cpu_us_per_sample": round(synth_s * 1e6, 1),
        "featurize_cpu_us_per_sample": round(feat_s * 1e6, 1),
        "raw_points_median": float(np.median(points)),
        "features_len_median": float(np.median(lengths)),
        "padding_fraction": round(padded / (padded + samples * float(np.mean(lengths))), 4),
        "setup_s": round(setup_s, 2),
        "warm_up_one_epoch_s": round(warm_s, 2),
        "target_samples_per_s": 2000,
    }
    print(f"{'measure':<32}{'value':>10}")
    for k, v in result.items():
        print(f"{k:<32}{v:>10}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
