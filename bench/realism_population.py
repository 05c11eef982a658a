"""The realism card of the full build's training population (``trainer.yardsticks``).

Two inks of every GB2312 level-1 character, each by its own writer of the full preset's
population (its pen motion and its mix of shape sources), compared with real writers by
``../shared/realism/realism.py`` statistic by statistic.

    python bench/realism_population.py [--per-char 2] [--digitizers] [--keep inks.jsonl]

By default every ink is recorded as the synthesizer samples it (one digitizer, so the
card's ``points`` compare); ``--digitizers`` adds the drawn devices of training.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from trainer.build.presets import full
from trainer.yardsticks import realism_card, shared_folder


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-char", type=int, default=2)
    p.add_argument("--digitizers", action="store_true", help="the drawn devices of training")
    p.add_argument("--keep", type=Path, help="also write the population here (JSONL)")
    args = p.parse_args(argv)
    card = realism_card(full().data, args.per_char, args.digitizers, args.keep)
    if card is None:
        print(f"no realism card under {shared_folder()}", file=sys.stderr)
        return 1
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
