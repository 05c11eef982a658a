"""Cost of the stroke-order habits (issue 25) in the full build's training stream.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_order.py [--n 4096] [--batch 64]

Synthesizes ``n`` samples of the full preset's writers as the training stream does (one new
generator and writer per sample, characters uniform over level 1, ``synthesize_batch`` of
``batch``), after one pass over every class to warm the template cache, with and without
the order habits (``presets.ORDER``), one after the other (run it twice: the machine's load
varies), and prints samples/s
and the share of characters written from a reordered template.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from trainer.build import presets
from trainer.data.synth import SynthConfig, sample_writer, synthesize_batch
from trainer.data.templates import load_charset, load_templates


def stream(config: SynthConfig, start: int, n: int, batch: int) -> float:
    """Seconds to synthesize samples start .. start + n of the stream."""
    templates, chars = load_templates(), load_charset()
    t0 = time.perf_counter()
    for i in range(start, start + n, batch):
        rngs = [np.random.default_rng([7, j]) for j in range(i, min(i + batch, start + n))]
        picks = [templates.strokes(chars[int(r.integers(len(chars)))]) for r in rngs]
        styles = [sample_writer(r, config) for r in rngs]
        synthesize_batch(picks, rngs, styles, config)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    order = getattr(presets, "ORDER", {})  # none in a checkout before issue 25
    with_order = presets.robust_writers()
    without = replace(with_order, **{k: 0.0 for k in order})
    configs = {"without": without, "with": with_order} if order else {"without": without}
    templates, chars = load_templates(), load_charset()
    times: dict[str, list[float]] = {name: [] for name in configs}
    for name, config in configs.items():
        # warm the caches (training revisits every class); the template cache holds one
        # config at a time, so each config's rounds run together
        styles = [sample_writer(np.random.default_rng(i), config) for i in range(len(chars))]
        synthesize_batch(
            [templates.strokes(c) for c in chars],
            [np.random.default_rng(i) for i in range(len(chars))],
            styles,
            config,
        )
        for r in range(args.rounds):
            times[name].append(stream(config, r * args.n, args.n, args.batch))
    for name, t in times.items():
        print(
            f"order habits {name:8s}: {args.n / min(t):7,.0f} samples/s "
            f"(best of {args.rounds}; all {', '.join(f'{args.n / x:,.0f}' for x in t)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
