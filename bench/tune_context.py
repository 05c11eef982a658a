"""Choose the context ranking's weights (engine.ranking.ContextOptions) on labelled ink sets.

    python bench/tune_context.py --set text=text.jsonl --set stress=stress.jsonl \
        --set isolated=iso.jsonl [--model PATH] [--json OUT]

Each set is JSONL ink with labels (``bench/eval_text.py --jsonl`` writes the text sets, each
ink with its ``context``). The network runs once per ink and the language model once per
context; then every (temperature, weight, start_weight) of the grid is scored from those
arrays: top-1 / top-10 per set, inks without a context ranked as at the start of a text
(context ""), as the pad does after a reset. Prints the grid's best points and the table of
the chosen one against the network alone.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from engine.ink import Ink, iter_jsonl
from engine.language import LanguageModel
from engine.ranking import ContextOptions
from engine.recognizer import Recognizer

#: The ranking depends on T * w only (log softmax(z / T) + w p ranks as z + T w p); T alone
#: sets how sure the posterior is, so the grid also reports its calibration (NLL).
TEMPERATURES = (1.0, 2.0, 3.0, 4.0)
WEIGHTS = (0.0, 0.2, 0.27, 0.3, 0.4, 0.53, 0.6, 0.8, 1.0, 1.2, 1.6)
START_WEIGHTS = (0.0, 0.033, 0.05, 0.1)


def read_set(path: Path, charset: str) -> list[Ink]:
    inks = [x for _, x in iter_jsonl(path) if isinstance(x, Ink)]
    return [x for x in inks if x.label is not None and x.label in charset]


def arrays(
    rec: Recognizer, lm: LanguageModel, inks: list[Ink], history: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(log-softmax-ready logits (N, C), priors (N, C), label ids (N,), after-hanzi mask (N,))."""
    charset = rec.charset
    session = rec._load()[1]
    from engine.preprocess import preprocess

    logits = np.zeros((len(inks), len(charset)), np.float32)
    for i in range(0, len(inks), 64):
        part = [preprocess(x, rec.package.preprocess) for x in inks[i : i + 64]]
        lengths = np.array([len(f) for f in part], np.int64)
        batch = np.zeros((len(part), int(lengths.max()), 6), np.float32)
        for j, f in enumerate(part):
            batch[j, : len(f)] = f
        logits[i : i + len(part)] = session.run(batch, lengths)
    contexts = [(x.context or "")[-history:] for x in inks]
    priors = np.stack([lm.log_probs(c, charset) for c in contexts])
    index = {c: i for i, c in enumerate(charset)}
    labels = np.array([index[x.label] for x in inks])  # type: ignore[index]
    after_hanzi = ContextOptions(weight=1.0, start_weight=0.0)
    after = np.array([after_hanzi.weight_for(c) == 1.0 for c in contexts])
    return logits, priors, labels, after


def scores(
    logits: np.ndarray,
    priors: np.ndarray,
    labels: np.ndarray,
    after: np.ndarray,
    t: float,
    w: float,
    w0: float,
) -> tuple[float, float, float]:
    """(top-1, top-10, mean negative log posterior of the label: the calibration)."""
    z = logits.astype(np.float64) / t
    z -= z.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    z += np.where(after, w, w0)[:, None] * priors
    z -= z.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    mine = z[np.arange(len(z)), labels]
    rank = (z > mine[:, None]).sum(axis=1)
    return float((rank == 0).mean()), float((rank < 10).mean()), float(-mine.mean())


def _cell(s: tuple[float, float, float]) -> str:
    return f"{s[0]:7.1%}/{s[1]:6.1%} {s[2]:5.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", action="append", required=True, metavar="NAME=PATH")
    p.add_argument("--model", help="model package (default: the bundled one)")
    p.add_argument(
        "--objective",
        default="stress",
        help="the set whose top-1 the grid maximizes (default: stress)",
    )
    p.add_argument(
        "--guard",
        default="isolated",
        help="a set without context that may lose at most --max-loss top-1",
    )
    p.add_argument("--max-loss", type=float, default=0.005)
    p.add_argument("--json", type=Path, help="write the whole grid here")
    args = p.parse_args(argv)
    rec = Recognizer(args.model).load()
    lm = LanguageModel.default()
    history = ContextOptions().history
    data = {}
    for spec in args.set:
        name, _, path = spec.partition("=")
        t0 = time.perf_counter()
        data[name] = arrays(rec, lm, read_set(Path(path), rec.charset), history)
        print(
            f"{name}: {len(data[name][2])} inks, {np.mean(data[name][3]):.0%} after a hanzi "
            f"({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
        )
    grid = []
    for t, w, w0 in itertools.product(TEMPERATURES, WEIGHTS, START_WEIGHTS):
        row = {"temperature": t, "weight": w, "start_weight": w0}
        for name, a in data.items():
            row[name] = scores(*a, t, w, w0)
        grid.append(row)
    base = {name: scores(*a, 1.0, 0.0, 0.0) for name, a in data.items()}
    ok = [
        r
        for r in grid
        if args.guard not in data or r[args.guard][0] >= base[args.guard][0] - args.max_loss
    ]
    ok.sort(key=lambda r: r[args.objective][0], reverse=True)
    names = list(data)
    print("T     w     w0    " + "  ".join(f"{n + ' top-1/10, NLL':>22}" for n in names))
    print("network alone     " + "  ".join(_cell(base[n]) for n in names))
    for r in ok[:15]:
        print(
            f"{r['temperature']:<5} {r['weight']:<5} {r['start_weight']:<5} "
            + "  ".join(_cell(r[n]) for n in names)
        )
    if args.json:
        args.json.write_text(json.dumps({"base": base, "grid": grid}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
