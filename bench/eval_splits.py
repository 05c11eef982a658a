"""The split yardstick (issue 25) of a model package on held-out writers of the full preset.

    OMP_WAIT_POLICY=PASSIVE python bench/eval_splits.py [--model PACKAGE] [--n 1000] [--no-order]

``--no-order``: the writers without their stroke-order habits (the preset before issue 25).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.recognizer import Recognizer, RecognizerOptions
from trainer.build.presets import ORDER, robust_writers
from trainer.split_yardstick import measure_splits, splits_markdown
from trainer.yardsticks import SEED_BASE


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("resources/model/xiezi-gb1.xiezi"))
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--no-order", action="store_true")
    args = p.parse_args(argv)
    config = robust_writers()
    if args.no_order:
        config = replace(config, **{k: 0.0 for k in ORDER})
    rec = Recognizer(args.model, RecognizerOptions(threads=1))
    s = measure_splits(rec, config, args.n, SEED_BASE + 50 * 1_000_003)
    print("\n".join(splits_markdown(s)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
