"""The realism card of the full build's population with SynthConfig fields overridden (issue 25).

Usage::

    OMP_WAIT_POLICY=PASSIVE python bench/realism_synth_ab.py [--set fold_fix=True]
        [--set bow=0.2 ...] [--per-char 2]

The card of ``bench/realism_population.py`` (one digitizer) for an A/B of synthesizer
switches before a fine-tune: each ``--set NAME=VALUE`` replaces one ``SynthConfig`` field
(a bool, int or float, as the field's default is).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields, replace

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
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--per-char", type=int, default=2)
    args = p.parse_args(argv)
    data = full().data
    data = replace(data, synth=replace(data.synth, **overrides(args.set)))
    card = realism_card(data, args.per_char)
    if card is None:
        print(f"no realism card under {shared_folder()}", file=sys.stderr)
        return 1
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
