"""Stroke twins (issue 25 item 3): share of synthesized inks that lose the feature telling
each character from its twin, with the templates as they are and as trained.

    OMP_WAIT_POLICY=PASSIVE python bench/confusable_features.py [--n 300] [--chars 丁巾山乞一二]

Writers 0..n-1 of the full preset who lift the pen between strokes, standard order
(``tests/support/twin_features.py``: the measures, their cuts, the inks). Prints one row per
feature: lost before (the template as it is) / after (``synth.confusable.distinguish``) for
the medians, tomoe and wenkai shapes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.twin_features import FEATURES, lost

SOURCES = ("medians", "tomoe", "wenkai")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=300, help="writers per character and source")
    p.add_argument("--chars", default="".join(FEATURES), help="characters to measure")
    args = p.parse_args(argv)
    unknown = [c for c in args.chars if c not in FEATURES]
    if unknown:
        p.error(f"no feature measured for {''.join(unknown)}; known: {''.join(FEATURES)}")
    print("| char | feature | " + " | ".join(f"{s} before / after" for s in SOURCES) + " |")
    print("|---|---|" + "---|" * len(SOURCES))
    for c in args.chars:
        before = {s: lost(c, s, args.n, kept=False) for s in SOURCES}
        after = {s: lost(c, s, args.n, kept=True) for s in SOURCES}
        for name, _ in FEATURES[c]:
            cells = [f"{100 * before[s][name]:.1f} / {100 * after[s][name]:.1f}%" for s in SOURCES]
            print(f"| {c} | {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
