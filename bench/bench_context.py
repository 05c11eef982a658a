"""What ranking with context adds to one recognition (issue 24: at most 0.1 ms here).

    .venv/bin/python bench/bench_context.py [--inks 300] [--rounds 5] [--model PATH]

The same seeded inks as bench/bench_engine.py, each recognized alone (context None: the
network's ranking) and with a context (the 20 characters before a character of the held-out
text, resources/lm/heldout.txt), interleaved ink by ink so that both see the same machine.
The language model is loaded and its charset map built before timing, as the pad does after
its first paint. Prints the medians and the median of the per-ink difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from bench.bench_engine import template_inks
from engine.language import LanguageModel
from engine.recognizer import Recognizer
from engine.resources import resource_path


def contexts(count: int) -> list[str]:
    text = resource_path("lm", "heldout.txt").read_text(encoding="utf-8").replace("\n", "")
    step = max(1, (len(text) - 21) // count)
    return [text[i : i + 20] for i in range(0, step * count, step)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inks", type=int, default=300)
    p.add_argument("--rounds", type=int, default=5, help="passes over the inks")
    p.add_argument("--model", help="model package (default: the bundled one)")
    args = p.parse_args(argv)
    lm = LanguageModel.default()
    rec = Recognizer(args.model, language_model=lm).load()
    inks, ctxs = template_inks(args.inks), contexts(args.inks)
    lm.log_probs("中", rec.charset)  # the charset map, built once
    rec.recognize(inks[0], 10, context=ctxs[0])
    alone, with_ctx = [], []
    for _ in range(args.rounds):
        for ink, ctx in zip(inks, ctxs, strict=True):
            t0 = time.perf_counter()
            rec.recognize(ink, 10)
            t1 = time.perf_counter()
            rec.recognize(ink, 10, context=ctx)
            t2 = time.perf_counter()
            alone.append(t1 - t0)
            with_ctx.append(t2 - t1)
    a, c = np.array(alone) * 1e3, np.array(with_ctx) * 1e3
    lp = []
    for ctx in ctxs:
        t0 = time.perf_counter()
        lm.log_probs(ctx[-16:], rec.charset)
        lp.append(time.perf_counter() - t0)
    print(f"{len(a)} recognitions each, {args.inks} inks x {args.rounds} rounds")
    print(f"network alone:   median {np.median(a):.3f} ms")
    print(f"with context:    median {np.median(c):.3f} ms")
    print(
        f"added per ink:   median {np.median(c - a):.3f} ms (p90 {np.percentile(c - a, 90):.3f} ms)"
    )
    print(f"log_probs alone: median {np.median(lp) * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
