"""Writers write text (issue 24): a model package read as it is used, with and without context.

    python bench/eval_text.py [--model PATH] [--writers 24] [--chars 350] [--isolated 3755]
                              [--stress] [--json] [--jsonl DIR]

Synthetic writers, each in one hand, write held-out book reviews (`resources/lm/heldout.txt`,
never in the language model); every character of the model's charset is an ink whose context
is the text before it. Prints top-1 / top-10 of isolated characters (uniform and by the text's
frequency), of the text by the network alone and with context, and of the 300 most frequent
characters (`trainer/text_yardstick.py`, the same code as the build report's section).
`--stress` adds writers further from the training population, on shapes never trained on.
`--jsonl DIR` also writes each set as engine JSONL (labels, and contexts for the text):
DIR/{text,uniform,frequency}.jsonl and with --stress DIR/stress-{text,uniform,frequency}.jsonl,
for `python -m engine eval` and `bench/tune_context.py`. Takes about a minute here (2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.errors import EngineError
from engine.recognizer import Recognizer
from engine.resources import DEFAULT_MODEL, resource_path
from trainer.build.presets import full
from trainer.data.errors import DataError
from trainer.text_yardstick import TextConfig, measure_text, samples, text_markdown, write_jsonl


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model package (default: the bundled one)")
    p.add_argument("--writers", type=int, default=24, help="writers per population")
    p.add_argument("--chars", type=int, default=350, help="characters each writer writes")
    p.add_argument("--isolated", type=int, default=3755, help="inks of each isolated set")
    p.add_argument("--stress", action="store_true", help="add the stress population")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--jsonl", type=Path, metavar="DIR", help="also write the sets as JSONL here")
    args = p.parse_args(argv)
    for name in ("writers", "chars", "isolated"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.jsonl and args.jsonl.exists() and not args.jsonl.is_dir():
        p.error(f"--jsonl {args.jsonl} is a file; give a folder (it gets one JSONL per set)")
    model = args.model or resource_path(*DEFAULT_MODEL)
    config = TextConfig(
        writers=args.writers, chars=args.chars, isolated=args.isolated, stress=args.stress
    )
    start = time.perf_counter()
    try:
        rec = Recognizer(model).load()
        data = full().data  # the bundled model's training writers
        if args.jsonl:
            args.jsonl.mkdir(parents=True, exist_ok=True)
            for stress in (False, True) if args.stress else (False,):
                for name, items in samples(rec.charset, data, stress, config).items():
                    path = args.jsonl / f"{'stress-' if stress else ''}{name}.jsonl"
                    print(f"{path}: {write_jsonl(path, items)} inks", file=sys.stderr)
        t = measure_text(rec, data, config)
    except (EngineError, DataError, OSError) as e:
        print(f"eval_text: {e}", file=sys.stderr)
        return 1
    t["seconds"] = round(time.perf_counter() - start, 1)
    if args.json:
        print(json.dumps(t, indent=1, ensure_ascii=False))
        return 0
    print(f"model: {model}")
    print("\n".join(text_markdown(t)))
    print(f"\n({t['seconds']} s, synthesis and recognition)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
