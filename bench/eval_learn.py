"""Yardsticks of the user memory (issue 28): one user correcting misses, and where it must not fire.

    python bench/eval_learn.py --neat ../shared/realdata/tegaki-lab/japanese-writers-gb1.jsonl
    python bench/eval_learn.py --synthetic /tmp/synth/stress-text.jsonl --per-writer 350

``--neat``: the real neat set (evaluation only; its shuffled copy goes to /tmp, never the
repository), shuffled with ``random.Random(SEED).shuffle`` over its lines (SEED = 28), read as
one user: top-1 over all and over the second half, with learning and without; then the two
writers apart: each learning alone, the second reading with the first one's memory (not
learning), and the second learning on from the first one's memory.

``--synthetic``: JSONL of synthetic writers writing text, writer after writer, ``--per-writer``
inks each (``python bench/eval_text.py --stress --writers 24 --chars 350 --jsonl DIR`` writes
DIR/stress-text.jsonl): each writer with their own memory; all writers through one memory; the
odd writers reading with the even writers' memories; and, for each run, top-1 over the inks
whose character had never been corrected when they were written.

Every run reads inks with their context, as the pad does (engine.evaluate.evaluate_learning's
user: the label is picked after every ink, learned where the memory's design keeps it).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.ink import Ink, read_jsonl
from engine.memory import MemoryConfig, UserMemory
from engine.recognizer import Recognizer

SEED = 28


@dataclass
class Run:
    ranks: np.ndarray  # rank of the label among 10 candidates (10: absent), in order
    fresh: np.ndarray  # True where the label's character had not been corrected before
    first: np.ndarray  # True where the label's character is written for the first time

    def top1(self, part: slice = slice(None)) -> float:
        return 100.0 * float((self.ranks[part] == 0).mean())

    def top10(self, part: slice = slice(None)) -> float:
        return 100.0 * float((self.ranks[part] < 10).mean())


def run(rec: Recognizer, inks: Sequence[Ink], memory: UserMemory | None, learn: bool = True) -> Run:
    """Read ``inks`` in order as one user (see engine.evaluate.evaluate_learning)."""
    ranks, fresh, first = [], [], []
    corrected: set[str] = set()
    seen: set[str] = set()
    for ink in inks:
        assert ink.label is not None
        reading = rec.read(ink, 10, memory=memory)
        chars = [c.char for c in reading.candidates]
        rank = chars.index(ink.label) if ink.label in chars else 10
        ranks.append(rank)
        fresh.append(ink.label not in corrected)
        first.append(ink.label not in seen)
        seen.add(ink.label)
        if rank > 0:
            corrected.add(ink.label)
        if memory is not None and learn and reading.embedding is not None:
            memory.learn(ink.label, reading.embedding, ink, rank)
            memory.learn_text(ink.label, ink.context if ink.context is not None else "")
    return Run(np.array(ranks), np.array(fresh), np.array(first))


def fmt(r: Run, half: int) -> str:
    second = slice(half, None)
    return (
        f"all: top-1 {r.top1():.1f}% top-10 {r.top10():.1f}%; "
        f"second half: top-1 {r.top1(second):.1f}% top-10 {r.top10(second):.1f}%"
    )


def neat(rec: Recognizer, path: Path, cfg: MemoryConfig, out: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    random.Random(SEED).shuffle(lines)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    inks = list(read_jsonl(out))
    sha, half = rec.package.sha256, len(inks) // 2
    print(f"real neat set, {len(inks)} inks shuffled (seed {SEED}) -> {out}")
    print(f"  learning:         {fmt(run(rec, inks, UserMemory(sha, cfg)), half)}")
    print(f"  without learning: {fmt(run(rec, inks, None), half)}")
    writers = _writers(path)
    if len(writers) != 2:
        return
    (wa, a), (wb, b) = writers
    mem_a = UserMemory(sha, cfg)
    ra = run(rec, a, mem_a)
    print(f"  writer {wa} alone, learning: {fmt(ra, len(a) // 2)}")
    print(f"  writer {wb} without learning: {fmt(run(rec, b, None), len(b) // 2)}")
    print(f"  writer {wb} alone, learning: {fmt(run(rec, b, UserMemory(sha, cfg)), len(b) // 2)}")
    frozen = run(rec, b, mem_a, learn=False)
    print(f"  writer {wb} with {wa}'s memory, not learning: {fmt(frozen, len(b) // 2)}")
    print(f"  writer {wb} learning on from {wa}'s memory: {fmt(run(rec, b, mem_a), len(b) // 2)}")


def _writers(path: Path) -> list[tuple[str, list[Ink]]]:
    """The file's inks grouped by their "writer" field, in file order (the JSON's own field:
    engine inks do not keep it)."""
    import json

    groups: dict[str, list[Ink]] = {}
    for raw, ink in zip(
        path.read_text(encoding="utf-8").splitlines(), read_jsonl(path), strict=True
    ):
        groups.setdefault(str(json.loads(raw).get("writer")), []).append(ink)
    return list(groups.items())


def synthetic(rec: Recognizer, path: Path, per: int, cfg: MemoryConfig) -> None:
    inks = list(read_jsonl(path))
    writers = [inks[i : i + per] for i in range(0, len(inks) - per + 1, per)]
    sha = rec.package.sha256
    print(f"synthetic writers: {len(writers)} x {per} inks ({path})")
    own = [run(rec, w, UserMemory(sha, cfg)) for w in writers]
    base = [run(rec, w, None) for w in writers]
    for name, runs in (("each with own memory", own), ("without learning", base)):
        r = _cat(runs)
        second = _cat([Run(x.ranks[per // 2 :], x.fresh[per // 2 :], x.first) for x in runs])
        print(
            f"  {name}: all top-1 {r.top1():.2f}%, second halves top-1 {second.top1():.2f}%, "
            f"never-corrected characters {_fresh(r, _cat(base))}"
        )
    shared = run(rec, [i for w in writers for i in w], UserMemory(sha, cfg))
    flat = _cat(base)
    half = slice(len(flat.ranks) // 2, None)
    print(
        f"  all writers through one memory: all top-1 {shared.top1():.2f}% "
        f"(without {flat.top1():.2f}%), second half {shared.top1(half):.2f}% "
        f"(without {flat.top1(half):.2f}%), never-corrected characters {_fresh(shared, flat)}"
    )
    cross, alone = [], []
    for k in range(0, len(writers) - 1, 2):
        mem = UserMemory(sha, cfg)
        run(rec, writers[k], mem)
        cross.append(run(rec, writers[k + 1], mem, learn=False))
        alone.append(base[k + 1])
    print(
        f"  odd writers with the even writers' memories, not learning: top-1 "
        f"{_cat(cross).top1():.2f}% (without {_cat(alone).top1():.2f}%)"
    )


def _cat(runs: list[Run]) -> Run:
    return Run(
        *(np.concatenate([getattr(r, k) for r in runs]) for k in ("ranks", "fresh", "first"))
    )


def _fresh(r: Run, without: Run) -> str:
    """Top-1 over the inks of characters not corrected before (and over the first ink of each
    character), with the memory and the same inks without."""
    out = []
    for name, m in (("", r.fresh), ("first inks of a character ", r.first)):
        a, b = 100 * (r.ranks[m] == 0).mean(), 100 * (without.ranks[m] == 0).mean()
        out.append(f"{name}top-1 {a:.2f}% (without {b:.2f}%)")
    return "; ".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--neat", type=Path, help="the real neat set (JSONL with 'writer' fields)")
    p.add_argument("--neat-out", type=Path, default=Path("/tmp/xiezi-neat-shuffled.jsonl"))
    p.add_argument("--synthetic", type=Path, help="JSONL of synthetic writers' text")
    p.add_argument("--per-writer", type=int, default=350, help="inks per synthetic writer")
    p.add_argument("--model", type=Path, help="model package (default: the bundled one)")
    args = p.parse_args(argv)
    if not args.neat and not args.synthetic:
        p.error("give --neat and/or --synthetic")
    rec = Recognizer(args.model).load()
    if not rec.has_embedding:
        print("error: the model has no embedding output", file=sys.stderr)
        return 2
    cfg = MemoryConfig()
    if args.neat:
        neat(rec, args.neat, cfg, args.neat_out)
    if args.synthetic:
        synthetic(rec, args.synthetic, args.per_writer, cfg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
