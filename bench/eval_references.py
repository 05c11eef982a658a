"""Xiezi against other open-source recognizers (dinkit, zinnia) on the same held-out ink.

Writes the held-out synthetic writer sets of `bench/eval_model.py` (the same seeds), plus the
full build's training population (`robust_writers`, seeds of its own), and reads every ink
with the bundled model (or --model) and with each reference that is installed
(`bench/references.py` says how to install them). Labelled real ink in the engine's JSONL
format is scored the same way with `--jsonl FILE`. The last rows give the references'
figures on real, fast, joined-up handwriting (issue 6): a synthetic set on which a
reference scores like that is about as hard, for that kind of recognizer, as the real ink.

    python bench/eval_references.py [--model PATH] [--per-style 300] [--jsonl real.jsonl]
        [--references dinkit,zinnia] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# bench/ is on sys.path when this file runs as a script.
import eval_model
import references

from engine.errors import InkError
from engine.ink import Ink, iter_jsonl
from engine.protocol import InkRecognizer
from engine.recognizer import Recognizer, RecognizerOptions

#: The training population's set gets offsets past eval_model's styles.
TRAINING_OFFSET = 20


#: An engine as this bench calls it: the 10 best characters for an ink, best first.
Reader = Callable[[Ink], list[str]]


def score(path: Path, engines: dict[str, Reader]) -> dict[str, Any]:
    """Top-1 / top-10 (fractions) of every engine over the labelled inks of one JSONL file."""
    hits = {name: [0, 0] for name in engines}
    labelled, errors = 0, []
    for _, ink in iter_jsonl(path):
        if isinstance(ink, InkError):
            errors.append(str(ink))
            continue
        if ink.label is None:
            continue
        labelled += 1
        for name, read in engines.items():
            best = read(ink)
            hits[name][0] += bool(best) and best[0] == ink.label
            hits[name][1] += ink.label in best
    if not labelled:
        raise SystemExit(
            f"{path}: no labelled ink ({len(errors)} bad lines)"
            + (f"; first: {errors[0]}" if errors else "")
        )
    return {
        "inks": labelled,
        "bad_lines": len(errors),
        **{name: [h[0] / labelled, h[1] / labelled] for name, h in hits.items()},
    }


def _reader(ref: InkRecognizer) -> Reader:
    return lambda ink: [c.char for c in ref.recognize(ink, 10)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model package (default: the bundled one)")
    p.add_argument("--per-style", type=int, default=300, help="inks per synthetic set")
    p.add_argument("--jsonl", action="append", default=[], help="labelled real ink to score")
    p.add_argument(
        "--references",
        default="dinkit,zinnia",
        help=f"comma-separated, of: {', '.join(references.KINDS)}",
    )
    p.add_argument("--out", type=Path, default=Path("/tmp/xiezi-eval-ref"), help="where inks go")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args(argv)
    if args.per_style < 1:
        p.error("--per-style must be at least 1")
    for j in args.jsonl:
        if not Path(j).is_file():
            p.error(f"--jsonl {j}: no such file")
    try:
        refs, missing = references.load([n for n in args.references.split(",") if n])
    except ValueError as e:
        p.error(str(e))
    for line in missing:
        print(f"skipped {line}", file=sys.stderr)
    from trainer.build.presets import robust_writers  # the synthesizer needs the train extra

    rec = Recognizer(args.model, RecognizerOptions(threads=1))
    engines: dict[str, Reader] = {
        "xiezi": _reader(rec),
        **{name: _reader(r) for name, r in refs.items()},
    }
    sets = eval_model.write_styles(
        args.out, {**eval_model.STYLES, **eval_model.STRESS}, args.per_style
    )
    path = args.out / "training.jsonl"
    eval_model.write_style(path, robust_writers(), args.per_style, offset=TRAINING_OFFSET)
    sets.append(("synthetic, the full build's training writers", path))
    sets += [(f"real: {Path(j).name}", Path(j)) for j in args.jsonl]
    rows = [{"set": name, **score(path, engines)} for name, path in sets]
    if args.json:
        print(
            json.dumps(
                {
                    "model": str(rec.package.path),
                    "rows": rows,
                    "real_figures": references.REAL_FIGURES,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    names = list(engines)
    print(f"model: {rec.package.path}; top-1 / top-10 in %")
    print("| set | inks | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names))
    for r in rows:
        cells = [f"{100 * r[n][0]:.1f} / {100 * r[n][1]:.1f}" for n in names]
        print(f"| {r['set']} | {r['inks']} | " + " | ".join(cells) + " |")
    real = [
        "unmeasured"
        if n == "xiezi"
        else "{} / {}".format(*(v if v is not None else "-" for v in references.REAL_FIGURES[n]))
        for n in names
    ]
    print("| real fast joined-up writing, many writers (issue 6) | | " + " | ".join(real) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
