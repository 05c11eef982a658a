"""What the user memory adds to a pen-up (issue 28): read() with a memory of 0, 500, 3000 inks.

    python bench/bench_memory.py [--inks 200] [--sizes 0,500,3000]

Fills memories with the bundled model's embeddings of random inks (rank-1 picks of random
characters, so every one is stored), then times Recognizer.read on other random inks with and
without the memory, interleaved, one thread, after a warm-up; also the worst case where every
stored ink is near the one read (the same ink stored under many characters), the cost of a
pick (learn) and of saving the memory, and read() with a context and 300 user words.
Prints medians and 95th percentiles in ms.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.ink import Ink, make_ink
from engine.memory import MemoryConfig, UserMemory
from engine.recognizer import Recognizer


def random_ink(rng: np.random.Generator) -> Ink:
    strokes, t = [], 0.0
    for _ in range(int(rng.integers(1, 9))):
        a, b = rng.uniform(0, 100, 2), rng.uniform(0, 100, 2)
        n = int(rng.integers(6, 30))
        pts = np.linspace(a, b, n) + rng.normal(0, 2.0, (n, 2))
        strokes.append([[x, y, t + 8.0 * i] for i, (x, y) in enumerate(pts)])
        t += 8.0 * n + 120
    return make_ink(strokes)


def timed(fn: Callable[[], object], repeat: int) -> np.ndarray:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1000.0


def fill(rec: Recognizer, size: int, rng: np.random.Generator) -> UserMemory:
    mem = UserMemory(rec.package.sha256, MemoryConfig(max_inks=max(size, 8)))
    charset = rec.charset
    while len(mem) < size:
        ink = random_ink(rng)
        e = rec.read(ink, 1).embedding
        assert e is not None
        mem.learn(charset[int(rng.integers(len(charset)))], e, ink, rank=1)
    return mem


def line(name: str, ms: np.ndarray) -> str:
    return f"{name:<44} median {np.median(ms):6.3f} ms  p95 {np.percentile(ms, 95):6.3f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inks", type=int, default=200, help="inks read per measurement")
    p.add_argument("--sizes", default="0,500,3000", help="memory sizes (stored inks)")
    args = p.parse_args(argv)
    rec = Recognizer().load()
    if not rec.has_embedding:
        raise SystemExit("the bundled model has no embedding output")
    rng = np.random.default_rng(28)
    probes = [random_ink(rng) for _ in range(args.inks)]
    for ink in probes[:20]:
        rec.read(ink)  # warm-up
    for size in [int(s) for s in args.sizes.split(",")]:
        _measure(rec, probes, fill(rec, size, rng))
    _worst_case(rec, probes, rng)
    _reembed(rec, rng)
    return 0


def _reembed(rec: Recognizer, rng: np.random.Generator, count: int = 3000) -> None:
    """A full memory's re-embedding after a model change: one ink at a time, and batched."""
    inks = [random_ink(rng) for _ in range(count)]
    t0 = time.perf_counter()
    one = np.stack([rec.read(ink, 1).embedding for ink in inks])  # type: ignore[misc]
    t1 = time.perf_counter()
    batched = rec.embed(inks)
    t2 = time.perf_counter()
    same = float(np.abs(one - batched).max())
    print(f"re-embedding {count} inks: one at a time {t1 - t0:.2f} s, embed() {t2 - t1:.2f} s "
          f"(max difference {same:.1e})")  # fmt: skip


def _measure(rec: Recognizer, probes: list[Ink], mem: UserMemory) -> None:
    bare, withm = [], []
    for ink in probes:  # interleaved: the machine's noise hits both alike
        bare.extend(timed(lambda ink=ink: rec.read(ink, 10), 1))
        withm.extend(timed(lambda ink=ink: rec.read(ink, 10, memory=mem), 1))
    b, m = np.array(bare), np.array(withm)
    print(line(f"memory of {len(mem)} inks: read() without", b))
    print(line(f"memory of {len(mem)} inks: read() with", m))
    print(f"{'':<44} added: median {np.median(m) - np.median(b):+.3f} ms")
    if not len(mem):
        return
    e = rec.read(probes[0]).embedding
    assert e is not None
    print(line(f"memory of {len(mem)} inks: bonus() alone", timed(
        lambda: mem.bonus(e[None], rec.charset), 200)))  # fmt: skip
    learn = timed(lambda: mem.learn("日", e, probes[0], rank=1), 50)
    print(line(f"memory of {len(mem)} inks: learn() (a pick)", learn))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "memory.npz"
        print(line(f"memory of {len(mem)} inks: save()", timed(lambda: mem.save(path), 10)))
        print(f"{'':<44} file: {path.stat().st_size / 1e6:.2f} MB")


def _worst_case(rec: Recognizer, probes: list[Ink], rng: np.random.Generator) -> None:
    """Every stored ink near the one read; and a context with the user's words."""
    ink = probes[0]
    e = rec.read(ink).embedding
    assert e is not None
    mem = UserMemory(rec.package.sha256, MemoryConfig(per_char=1, duplicate=1.0, max_inks=3000))
    for i in range(3000):
        noisy = e + rng.normal(0, 0.02 * float(np.abs(e).mean()), e.shape).astype(np.float32)
        mem.learn(rec.charset[i], noisy, None, rank=1)
    print(line(f"worst case, {len(mem)} inks all near: read() with", timed(
        lambda: rec.read(ink, 10, memory=mem), 100)))  # fmt: skip
    words = UserMemory(rec.package.sha256)
    words.learn_text("".join(rec.charset[int(i)] for i in rng.integers(0, 3000, 3000)))
    rec.read(ink, 10, context="我们")
    print(line("context, no memory: read()", timed(
        lambda: rec.read(ink, 10, context="我们"), 100)))  # fmt: skip
    print(line(f"context, {len(words.words)} user words: read()", timed(
        lambda: rec.read(ink, 10, context="我们", memory=words), 100)))  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
