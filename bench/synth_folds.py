"""How many stroke ends the synthesizer folds back on themselves (issue 25).

Usage::

    OMP_WAIT_POLICY=PASSIVE python bench/synth_folds.py [--n 2000] [--seed 0] [--fold-fix]

Writes N characters of the GB2312 level-1 charset (uniform, each by a new writer of the full
preset's population, no drawn digitizers) with ``synthesize_batch`` and counts, in every
``geometry.deform`` output, the stroke starts and ends whose first segment runs back
against the next (``geometry.folded_ends``): a shortened end moved past its corner-cut
point. ``--fold-fix``: with ``SynthConfig.fold_fix``. Prints the count, the ends, the share.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from trainer.data.synth import geometry, handwrite, sample_writer, synthesize_batch
from trainer.data.synth.config import SynthConfig
from trainer.data.templates import load_charset, load_templates


def count_folds(n: int, seed: int, config: SynthConfig, batch: int = 64) -> tuple[int, int]:
    """(folded, all) stroke ends over n characters written by ``synthesize_batch``."""
    templates, chars = load_templates(), load_charset()
    rng = np.random.default_rng(seed)
    picks = [templates.strokes(chars[i]) for i in rng.integers(len(chars), size=n)]
    writers = [sample_writer(rng, config) for _ in range(n)]
    rngs = [np.random.default_rng([seed, i]) for i in range(n)]
    total = [0, 0]
    original = handwrite.deform

    def counted(tpl, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = original(tpl, *args, **kwargs)
        fold, ends = geometry.folded_ends(out, tpl)
        total[0] += fold
        total[1] += ends
        return out

    handwrite.deform = counted
    try:
        for i in range(0, n, batch):
            j = slice(i, i + batch)
            synthesize_batch(picks[j], rngs[j], writers[j], config)
    finally:
        handwrite.deform = original
    return total[0], total[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fold-fix", action="store_true")
    args = p.parse_args(argv)
    from trainer.build.presets import full

    config = replace(full().data.synth, digitizer_prob=0.0, fold_fix=args.fold_fix)
    fold, ends = count_folds(args.n, args.seed, config)
    print(f"fold_fix={args.fold_fix}: {fold} of {ends} stroke ends folded ({fold / ends:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
