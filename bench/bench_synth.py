"""Calibration and throughput of the handwriting synthesizer against real fast handwriting.

Usage::

    OMP_WAIT_POLICY=PASSIVE python bench/bench_synth.py [--n 3000] [--seed 0] [--preset]
        [--no-running]

Writes N characters drawn uniformly from the GB2312 level-1 charset, each by a new writer,
and prints each statistic next to the figure measured on real samples (issue 3), then the
throughput of synthesize, of the engine's preprocessing, and of both together on one core.
``--preset``: the full build's writers (``presets.robust_writers``, no drawn digitizers)
instead of the default SynthConfig; ``--no-running``: those without their running hand.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from engine.preprocess import preprocess_arrays
from trainer.data.synth import SynthConfig, sample_writer, synthesize, synthesize_batch
from trainer.data.templates import load_charset, load_templates

#: name -> (quartile 1, median, quartile 3) of real fast handwriting (issue 3); None: unknown.
TARGETS: dict[str, tuple[float, float, float] | None] = {
    "standard strokes": (7, 10, 12),
    "pen-down strokes": (3, 5, 7),
    "pen-down / standard": (0.40, 0.60, 0.78),
    "points": (46, 59, 74),
    "width / height": (0.73, 0.89, 1.08),
    "features (preprocessed)": None,
}


def calibration(n: int, seed: int, config: SynthConfig) -> dict[str, np.ndarray]:
    """Per-sample statistics of n synthesized characters; also 'fewer', 'same', 'more'."""
    templates, chars = load_templates(), load_charset()
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(chars), size=n)
    rows = []
    for i in picks:
        strokes = templates.strokes(chars[i])
        xy, sid, _ = synthesize(strokes, rng, sample_writer(rng, config), config)
        extent = xy.max(axis=0) - xy.min(axis=0)
        feats = preprocess_arrays(xy, sid)
        rows.append(
            (len(strokes), sid[-1] + 1, len(xy), extent[0] / max(extent[1], 1e-9), len(feats))
        )
    a = np.array(rows, dtype=np.float64)
    return {
        "standard strokes": a[:, 0],
        "pen-down strokes": a[:, 1],
        "pen-down / standard": a[:, 1] / a[:, 0],
        "points": a[:, 2],
        "width / height": a[:, 3],
        "features (preprocessed)": a[:, 4],
        "fewer": a[:, 1] < a[:, 0],
        "same": a[:, 1] == a[:, 0],
        "more": a[:, 1] > a[:, 0],
    }


def throughput(n: int, seed: int, config: SynthConfig, batch: int) -> tuple[float, float, float]:
    """Samples per second of synthesis, of preprocess_arrays, and of both, on one core.

    Each sample has its own writer and generator, as in the training stream; writers are
    drawn ahead and the template cache is warm (training revisits every class each epoch).
    ``batch`` > 1 times synthesize_batch over that many characters at a time.
    """
    templates, chars = load_templates(), load_charset()
    rng = np.random.default_rng(seed)
    picks = [templates.strokes(chars[i]) for i in rng.integers(len(chars), size=n)]
    writers = [sample_writer(rng, config) for _ in range(n)]
    rngs = [np.random.default_rng([seed, i]) for i in range(n)]
    synthesize_batch(picks, rngs, writers, config)  # warm the template cache
    rngs = [np.random.default_rng([seed, i]) for i in range(n)]
    t0 = time.perf_counter()
    if batch == 1:
        out = [synthesize(s, r, w, config) for s, r, w in zip(picks, rngs, writers, strict=True)]
    else:
        out = []
        for i in range(0, n, batch):
            j = slice(i, i + batch)
            out += synthesize_batch(picks[j], rngs[j], writers[j], config)
    t1 = time.perf_counter()
    for xy, sid, _ in out:
        preprocess_arrays(xy, sid)
    t2 = time.perf_counter()
    return n / (t1 - t0), n / (t2 - t1), n / (t2 - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=3000, help="characters to synthesize")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=64, help="characters per synthesize_batch")
    p.add_argument("--preset", action="store_true", help="the full build's writers")
    p.add_argument("--no-running", action="store_true", help="those without running hand")
    args = p.parse_args(argv)
    config = SynthConfig()
    if args.preset:
        from trainer.build.presets import RUNNING, robust_writers

        config = replace(robust_writers(), digitizer_prob=0.0)
        if args.no_running:
            config = replace(config, **{k: 0.0 for k in RUNNING})
    stats = calibration(args.n, args.seed, config)
    print(
        f"{'statistic (n=' + str(args.n) + ')':28s} {'measured q1/med/q3':>24s} "
        f"{'real q1/med/q3':>22s}"
    )
    for name, target in TARGETS.items():
        q = np.percentile(stats[name], [25, 50, 75])
        m = f"{q[0]:6.2f} {q[1]:6.2f} {q[2]:6.2f}"
        r = "" if target is None else f"{target[0]:6.2f} {target[1]:6.2f} {target[2]:6.2f}"
        print(f"{name:28s} {m:>24s} {r:>22s}")
    for name, real in (("fewer", 0.91), ("same", 0.08), ("more", 0.01)):
        print(f"{'share ' + name + ' than standard':28s} {stats[name].mean():24.3f} {real:22.2f}")
    for batch in (1, args.batch):
        synth, prep, both = throughput(min(args.n, 2048), args.seed + 1, config, batch)
        name = "synthesize" if batch == 1 else f"synthesize_batch({batch})"
        print(
            f"throughput, samples/s on one core: {name} {synth:,.0f}, "
            f"preprocess {prep:,.0f}, both {both:,.0f} (target >= 2,000)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
