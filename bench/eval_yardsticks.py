"""The build report's yardsticks for any model package: the digitizer sweep, held-out shapes,
real ink under ../shared/realdata/ and (with --card) the realism card of the training writers.

    python bench/eval_yardsticks.py [--model PATH] [--inks 1000] [--card] [--json]

The same code (`trainer/yardsticks.py`) writes the "Yardsticks" section of every
`trainer build` report; this runs it on a package of your choice, e.g. an older build.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.resources import DEFAULT_MODEL, resource_path
from trainer import yardsticks
from trainer.build.presets import full
from trainer.build.report import yardsticks_markdown


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model package (default: the bundled one)")
    p.add_argument("--inks", type=int, default=1000, help="held-out inks per yardstick")
    p.add_argument("--card", action="store_true", help="add the realism card (about a minute)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    model = args.model or resource_path(*DEFAULT_MODEL)
    y = yardsticks.measure(model, full().data, args.inks, args.card)
    if args.json:
        print(json.dumps(y, indent=1, ensure_ascii=False))
        return 0
    print(f"model: {model}")
    print("\n".join(yardsticks_markdown(y)))
    print(f"\nlargest distance of a device from 'as given': {yardsticks.spread(y):.1f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
