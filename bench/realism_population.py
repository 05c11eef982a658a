"""The realism card of the full build's training population (``trainer.yardsticks``).

Two inks of every GB2312 level-1 character, each by its own writer of the full preset's
population (its pen motion and its mix of shape sources), compared with real writers by
``../shared/realism/realism.py`` statistic by statistic.

    python bench/realism_population.py [--per-char 2] [--digitizers] [--keep inks.jsonl]
        [--set fold_fix=True --set curl=0.3 ...]

By default every ink is recorded as the synthesizer samples it (one digitizer, so the
card's ``points`` compare); ``--digitizers`` adds the drawn devices of training. Each
``--set NAME=VALUE`` replaces one ``SynthConfig`` field (a bool, int or float, as the
field's default is): the A/B of synthesizer switches before a fine-tune (issue 25).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields, replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from trainer.build.presets import full
from trainer.data.synth import SynthConfig
from trainer.yardsticks import realism_card, shared_folder


def overrides(pairs: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` pairs as SynthConfig field values, typed like each field's default."""
    defaults = {f.name: f.default for f in fields(SynthConfig)}
    out: dict[str, object] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in defaults or not value:
            raise SystemExit(f"--set {pair!r}: expected NAME=VALUE with a SynthConfig field")
        kind = type(defaults[name])
        out[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-char", type=int, default=2)
    p.add_argument("--digitizers", action="store_true", help="the drawn devices of training")
    p.add_argument("--keep", type=Path, help="also write the population here (JSONL)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args(argv)
    data = full().data
    data = replace(data, synth=replace(data.synth, **overrides(args.set)))
    card = realism_card(data, args.per_char, args.digitizers, args.keep)
    if card is None:
        print(f"no realism card under {shared_folder()}", file=sys.stderr)
        return 1
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
