"""Xiezi against dinkit in one run: latency end to end and accuracy, sparse and dense ink.

Both engines read the same inks, one ink at a time, interleaved (Xiezi, dinkit, Xiezi, ...),
so a busy machine slows both alike; the figure that carries across machines is the ratio.
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
    boxes = [[[list(p) for p in s] for s in references.to_box([s[:, :2] for s in i.strokes])]
             for i in inks]
    rec.recognize(inks[0], 10), dink.recognize(boxes[0], top_k=10)  # warm-up
    t_x, t_d, hit = [], [], np.zeros((2, 2))
    for ink, box in zip(inks, boxes):
        t0 = time.perf_counter()
        ours = [c.char for c in rec.recognize(ink, 10)]
        t1 = time.perf_counter()
        theirs = list(dink.recognize(box, top_k=10).keys())[:10]
        t2 = time.perf_counter()
        t_x.append(t1 - t0), t_d.append(t2 - t1)
        for k, best in enumerate((ours, theirs)):
            hit[k] += (bool(best) and best[0] == ink.label, ink.label in best)
    n = len(inks)
    points = float(np.median([sum(map(len, i.strokes)) for i in inks]))
    mx, md = 1000 * float(np.median(t_x)), 1000 * float(np.median(t_d))
    return {"inks": n, "points_median": points,
            "xiezi": {"median_ms": mx, "p95_ms": 1000 * float(np.percentile(t_x, 95)),
                      "top1": hit[0, 0] / n, "top10": hit[0, 1] / n},
            "dinkit": {"median_ms": md, "p95_ms": 1000 * float(np.percentile(t_d, 95)),
                       "top1": hit[1, 0] / n, "top10": hit[1, 1] / n},
            "dinkit_over_xiezi": md / mx}


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
    sets = {"synthetic, as sampled": sparse,
            "synthetic, as the pad records it": [PAD.record(i, rng) for i in sparse]}
    for name, inks in real_sets(rec.charset).items():
        sets[name] = inks
        sets[f"{name}, as the pad records it"] = [PAD.record(i, rng) for i in inks]
    rows = {name: run_set(rec, dink, inks) for name, inks in sets.items()}
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    print(f"model: {rec.package.path}")
    print("| set | inks | points | Xiezi ms (p95) | dinkit ms (p95) | dinkit / Xiezi "
          "| Xiezi top-1 / top-10 | dinkit top-1 / top-10 |\n|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        x, d = r["xiezi"], r["dinkit"]
        print(f"| {name} | {r['inks']} | {r['points_median']:.0f} | {x['median_ms']:.2f} "
              f"({x['p95_ms']:.2f}) | {d['median_ms']:.2f} ({d['p95_ms']:.2f}) "
              f"| {r['dinkit_over_xiezi']:.2f}x | {100 * x['top1']:.1f} / {100 * x['top10']:.1f}% "
              f"| {100 * d['top1']:.1f} / {100 * d['top10']:.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
