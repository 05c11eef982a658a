"""A synthetic population in the mix of the realism card, written to JSONL, and its card.

Two inks of every GB2312 level-1 character, each by its own writer (seeds outside the
trainer's streams), from the full build's training writers or any preset's; then
``../shared/realism/realism.py`` compares them with real writers statistic by statistic.

    python bench/realism_population.py [--per-char 2] [--out /tmp/xiezi-realism.jsonl] [--card]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from trainer.data.sources import synthesize_ink
from trainer.data.templates import load_charset, load_templates

#: Writer seeds of this bench; the trainer's streams never reach this range.
SEED_BASE = 8_000_000_000
REALISM = Path(__file__).resolve().parents[2] / "shared" / "realism" / "realism.py"


def write_population(
    path: Path, per_char: int = 2, limit: int | None = None, digitizers: bool = True
) -> int:
    """Write ``per_char`` inks of each level-1 character (training writers); returns the count.

    ``digitizers=False`` records every ink as the synthesizer samples it (one device class),
    the fair comparison for the card's ``points``.
    """
    from trainer.compress.presets import robust_writers

    config = robust_writers()
    if not digitizers:
        config = replace(config, digitizer_prob=0.0)
    charset = load_charset()[:limit]
    templates = load_templates()
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for k in range(per_char):
            for i, char in enumerate(charset):
                rng = np.random.default_rng(SEED_BASE + k * 1_000_003 + i)
                ink = synthesize_ink(templates.strokes(char), rng, config, label=char)
                f.write(ink.to_json() + "\n")
                n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-char", type=int, default=2)
    p.add_argument("--limit", type=int, help="only the first N characters")
    p.add_argument("--out", type=Path, default=Path("/tmp/xiezi-realism.jsonl"))
    p.add_argument("--one-digitizer", action="store_true",
                   help="no drawn digitizers (dense, whole-pixel): compare the points too")
    p.add_argument("--card", action="store_true", help=f"run {REALISM} on the population")
    args = p.parse_args(argv)
    n = write_population(args.out, args.per_char, args.limit, not args.one_digitizer)
    print(f"{n} inks -> {args.out}")
    if args.card:
        if not REALISM.is_file():
            print(f"no realism card at {REALISM}", file=sys.stderr)
            return 1
        return subprocess.call([sys.executable, str(REALISM), str(args.out)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
