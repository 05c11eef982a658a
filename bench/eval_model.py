"""Accuracy of a model package on held-out synthetic writers, from neat to joined-up writing.

Writes one JSONL per style (writer seeds far from any the trainer draws) and scores each with
the engine's own evaluation, so the figures are what `python -m engine eval` reports. Real ink
you have (JSONL in the engine's format) can be scored the same way with `--jsonl FILE`.

    python bench/eval_model.py [--model PATH] [--per-style 1000] [--stress] [--jsonl real.jsonl]

`--stress` adds writers beyond the calibrated population: many stroke-order errors, doubled
deformation, everything joined and sloppy, a coarse mouse, two-part characters whose parts
move and scale as wholes (docs/synthesizer.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from engine.evaluate import evaluate_lines
from engine.recognizer import Recognizer, RecognizerOptions
from trainer.data.synth import SynthConfig, synthesize_ink
from trainer.data.templates import load_charset, load_templates

#: Writer seeds of this bench; the trainer's streams never reach this range.
SEED_BASE = 7_000_000_000
#: Cursiveness is Beta(cursive_a, cursive_b) per writer: how often strokes are joined.
STYLES = {
    "neat (few joins)": replace(SynthConfig(), cursive_a=0.6, cursive_b=6.0),
    "default writers": SynthConfig(),
    "fast, joined-up": replace(SynthConfig(), cursive_a=6.0, cursive_b=1.0),
}
_BASE = SynthConfig()
STRESS = {
    "order: swaps 15%, reversals 8%": replace(_BASE, swap_prob=0.15, reverse_prob=0.08),
    "messy: deformation x2": replace(
        _BASE,
        offset_sd=0.04,
        scale_log_sd=0.16,
        stroke_rotation_sd=0.12,
        bend_sd=0.1,
        elastic_amp=0.03,
    ),
    "all joined-up, sloppy": replace(_BASE, cursive_a=8.0, cursive_b=0.7, neat_a=0.7, neat_b=3.0),
    "coarse mouse (40-60 Hz)": replace(
        _BASE, rate_min_hz=40, rate_max_hz=60, spacing_log_mean=-1.6
    ),
    "layout: components moved and scaled": replace(
        _BASE, part_shift_sd=0.03, part_scale_sd=0.1, part_offset_sd=0.03
    ),
}


def write_style(path: Path, config: SynthConfig, per_style: int, offset: int) -> None:
    charset = load_charset()
    templates = load_templates()
    step = max(1, len(charset) // per_style)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(per_style):
            char = charset[(i * step + offset) % len(charset)]
            rng = np.random.default_rng(SEED_BASE + offset * 1_000_003 + i)
            ink = synthesize_ink(templates.strokes(char), rng, config, label=char)
            f.write(ink.to_json() + "\n")


def write_styles(
    out: Path, styles: dict[str, SynthConfig], per_style: int
) -> list[tuple[str, Path]]:
    """One JSONL per style in ``out`` (style k seeded by offset k); (set name, path) of each."""
    out.mkdir(parents=True, exist_ok=True)
    sets: list[tuple[str, Path]] = []
    for k, (name, config) in enumerate(styles.items()):
        path = out / f"style{k}.jsonl"
        write_style(path, config, per_style, offset=k)
        sets.append((f"synthetic, {name}", path))
    return sets


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model package (default: the bundled one)")
    p.add_argument("--per-style", type=int, default=1000, help="inks per writing style")
    p.add_argument("--stress", action="store_true", help="add the stress styles")
    p.add_argument("--jsonl", action="append", default=[], help="labelled real ink to score too")
    p.add_argument("--out", type=Path, default=Path("/tmp/xiezi-eval"), help="where inks go")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args(argv)
    rec = Recognizer(args.model, RecognizerOptions(threads=1))
    styles = {**STYLES, **(STRESS if args.stress else {})}
    sets = write_styles(args.out, styles, args.per_style)
    sets += [(f"real: {Path(j).name}", Path(j)) for j in args.jsonl]
    rows = []
    for name, path in sets:
        with open(path, encoding="utf-8") as f:
            r = evaluate_lines(rec, f)
        rows.append({"set": name, **r.to_dict(), "errors": len(r.errors)})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"model: {rec.package.path}")
    print("| set | inks | top-1 | top-10 | median ms | p95 ms |\n|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['set']} | {r['labelled']} | {100 * r['top1']:.1f}% | {100 * r['top10']:.1f}% "
            f"| {r['latency_median_ms']:.2f} | {r['latency_p95_ms']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
