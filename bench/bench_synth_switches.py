"""Throughput of synthesize_batch with issue 25's SynthConfig switches (one config a process).

Usage::

    OMP_WAIT_POLICY=PASSIVE python bench/bench_synth_switches.py [--set fold_fix=True ...]

2048 characters of the GB2312 level-1 charset by the full preset's writers (no drawn
digitizers), 64 a batch, template cache warm; prints the best of 4 passes in characters a
second. Run it once without ``--set`` for the baseline: the template cache holds one
config, so the configs are timed in separate processes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
from realism_population import overrides

from trainer.build.presets import full
from trainer.data.synth import sample_writer, synthesize_batch
from trainer.data.templates import load_charset, load_templates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args(argv)
    cfg = replace(full().data.synth, digitizer_prob=0.0, **overrides(args.set))
    templates, chars, n = load_templates(), load_charset(), 2048
    picks = [
        templates.strokes(chars[i]) for i in np.random.default_rng(0).integers(len(chars), size=n)
    ]
    writers = [sample_writer(np.random.default_rng(i), cfg) for i in range(n)]

    def rate() -> float:
        rngs = [np.random.default_rng([0, i]) for i in range(n)]
        t0 = time.perf_counter()
        for i in range(0, n, 64):
            synthesize_batch(picks[i : i + 64], rngs[i : i + 64], writers[i : i + 64], cfg)
        return n / (time.perf_counter() - t0)

    rate()
    print(f"{' '.join(args.set) or 'defaults'}: {max(rate() for _ in range(4)):.0f} characters/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
