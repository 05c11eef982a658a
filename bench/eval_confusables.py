"""Confusable twins (issue 25 item 3) read by a model: top-1 of each character of the real
writers' confusion list, written by held-out writers of the full preset.

    OMP_WAIT_POLICY=PASSIVE python bench/eval_confusables.py [--model PACKAGE ...] [--n 100]
        [--kept]

Each character by ``n`` writers (no drawn device) from the medians' shapes; the same writers
and seeds for every model. Prints per character the top-1 and the most frequent wrong read.
``--kept``: the shapes as the training data has them (``synth.confusable.distinguish``: each
twin's distinguishing feature at a margin, less noise on its strokes); without it, the
medians as they are (where the synthesizer blurs 己 / 已 and 人 / 入 in a fifth to a third
of the inks).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from engine.recognizer import Recognizer, RecognizerOptions
from trainer.build.presets import robust_writers
from trainer.data.synth import sample_writer, synthesize, to_ink
from trainer.data.synth.confusable import distinguish
from trainer.data.templates import load_templates
from trainer.yardsticks import SEED_BASE

#: The real writers' misses (issue 25) and the twins the brief names.
TWINS = "日曰 己已巳 未末 土士 人入八 一二 丁子 巾中 乞气 山凶"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--model", type=Path, nargs="+", default=[Path("resources/model/xiezi-gb1.xiezi")]
    )
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--kept", action="store_true", help="twins as trained (distinguish)")
    args = p.parse_args(argv)
    config = replace(robust_writers(), digitizer_prob=0.0)
    templates = load_templates()
    chars = TWINS.replace(" ", "")
    inks = {}
    for k, c in enumerate(chars):
        inks[c] = []
        for i in range(args.n):
            rng = np.random.default_rng(SEED_BASE + 77_000_003 + k * 10_007 + i)
            style = sample_writer(rng, config)
            strokes = templates.strokes(c)
            if args.kept:
                strokes = distinguish(c, strokes)
            inks[c].append(to_ink(*synthesize(strokes, rng, style, config), c))
    header = "| char | " + " | ".join(
        m.name if m.parent.name == "model" else str(m) for m in args.model
    )
    print(header + " |")
    print("|---" * (len(args.model) + 1) + "|")
    totals = [0] * len(args.model)
    for c in chars:
        cells = []
        for j, m in enumerate(args.model):
            rec = Recognizer(m, RecognizerOptions(threads=1))
            top = [r[0].char for r in rec.recognize_batch(inks[c], 1)]
            hit = sum(t == c for t in top)
            totals[j] += hit
            wrong = Counter(t for t in top if t != c).most_common(1)
            cells.append(
                f"{100 * hit / args.n:.0f}%" + (f" ({wrong[0][0]} {wrong[0][1]})" if wrong else "")
            )
        print(f"| {c} | " + " | ".join(cells) + " |")
    n = args.n * len(chars)
    print("| all | " + " | ".join(f"{100 * t / n:.1f}%" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
