"""Xiezi against dinkit in one run: latency end to end and accuracy, sparse and dense ink.

Both engines read the same inks, one ink at a time, interleaved (Xiezi, dinkit, Xiezi, ...),
so a busy machine slows both alike; the figure that carries across machines is the ratio. The
ratio is also given in thread CPU time, which leaves out the time other processes held the
core (beside a build at SCHED_IDLE the wall-clock figures are several times the quiet ones).
Xiezi is timed from a validated Ink to ranked candidates (preprocessing included, one
onnxruntime thread); dinkit from its own integer input (the box conversion is done before
the clock starts). Sets: held-out writers of the training population as the synthesizer
samples them, the same inks as the pad records them (300 px, a point every pixel, whole
pixels), and the real ink under ../shared/realdata/ when it is there (and its dense version).

    python bench/bench_vs_dinkit.py [--model PATH] [--inks 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import references  # bench/ is on sys.path when this file runs as a script

from engine.ink import Ink
from engine.recognizer import Recognizer, RecognizerOptions
from trainer.build.presets import robust_writers
from trainer.yardsticks import Digitizer, real_sets, writers

PAD = Digitizer(300, 1, True)


def run_set(rec: Recognizer, dink: Any, inks: list[Ink]) -> dict[str, Any]:
    """Interleaved timing and top-1 / top-10 of both engines over one set."""
    boxes = [
        [[list(p) for p in s] for s in references.to_box([s[:, :2] for s in i.strokes])]
        for i in inks
    ]
    rec.recognize(inks[0], 10), dink.recognize(boxes[0], top_k=10)  # warm-up
    t_x, t_d, hit = [], [], np.zeros((2, 2))
    c_x, c_d = [], []  # CPU time of this thread: what preemption by other processes leaves out
    clock, cpu = time.perf_counter, time.thread_time_ns
    for ink, box in zip(inks, boxes, strict=True):
        t0, u0 = clock(), cpu()
        ours = [c.char for c in rec.recognize(ink, 10)]
        t1, u1 = clock(), cpu()
        theirs = list(dink.recognize(box, top_k=10).keys())[:10]
        t2, u2 = clock(), cpu()
        t_x.append(t1 - t0), t_d.append(t2 - t1)
        c_x.append((u1 - u0) / 1e9), c_d.append((u2 - u1) / 1e9)
        for k, best in enumerate((ours, theirs)):
            hit[k] += (bool(best) and best[0] == ink.label, ink.label in best)
    n = len(inks)
    points = float(np.median([sum(map(len, i.strokes)) for i in inks]))
    mx, md = 1000 * float(np.median(t_x)), 1000 * float(np.median(t_d))
    return {
        "inks": n,
        "points_median": points,
        "xiezi": {
            "median_ms": mx,
            "p95_ms": 1000 * float(np.percentile(t_x, 95)),
            "top1": hit[0, 0] / n,
            "top10": hit[0, 1] / n,
        },
        "dinkit": {
            "median_ms": md,
            "p95_ms": 1000 * float(np.percentile(t_d, 95)),
            "top1": hit[1, 0] / n,
            "top10": hit[1, 1] / n,
        },
        "dinkit_over_xiezi": md / mx,
        "cpu_median_ms": {
            "xiezi": 1000 * float(np.median(c_x)),
            "dinkit": 1000 * float(np.median(c_d)),
        },
        "dinkit_over_xiezi_cpu": float(np.median(c_d) / np.median(c_x)),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model package (default: the bundled one)")
    p.add_argument("--inks", type=int, default=500, help="synthetic inks")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    try:
        from dinkit import Recognizer as DinkitRecognizer  # type: ignore[import-not-found]
    except ImportError:
        print("dinkit is not installed: pip install dinkit", file=sys.stderr)
        return 1
    rec = Recognizer(args.model, RecognizerOptions(threads=1))
    dink = DinkitRecognizer()
    rng = np.random.default_rng(0)
    sparse = writers(robust_writers(), args.inks, rec.charset, offset=3)
    sets = {
        "synthetic, as sampled": sparse,
        "synthetic, as the pad records it": [PAD.record(i, rng) for i in sparse],
    }
    for name, inks in real_sets(rec.charset).items():
        sets[name] = inks
        sets[f"{name}, as the pad records it"] = [PAD.record(i, rng) for i in inks]
    rows = {name: run_set(rec, dink, inks) for name, inks in sets.items()}
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    print(f"model: {rec.package.path}")
    print(
        "| set | inks | points | Xiezi ms (p95) | dinkit ms (p95) | dinkit / Xiezi "
        "| same, thread CPU time | Xiezi top-1 / top-10 | dinkit top-1 / top-10 |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for name, r in rows.items():
        x, d = r["xiezi"], r["dinkit"]
        print(
            f"| {name} | {r['inks']} | {r['points_median']:.0f} | {x['median_ms']:.2f} "
            f"({x['p95_ms']:.2f}) | {d['median_ms']:.2f} ({d['p95_ms']:.2f}) "
            f"| {r['dinkit_over_xiezi']:.2f}x | {r['dinkit_over_xiezi_cpu']:.2f}x "
            f"| {100 * x['top1']:.1f} / {100 * x['top10']:.1f}% "
            f"| {100 * d['top1']:.1f} / {100 * d['top10']:.1f}% |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
