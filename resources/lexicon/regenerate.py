"""Rebuild associations.txt: for each hanzi, the characters most likely to follow it.

Source: jieba 0.42.1's ``jieba/dict.txt`` (MIT, see LICENSE): lines ``word freq pos``. For
every word of two or more hanzi, each adjacent pair (a, b) inside the word gains the word's
frequency; a character's followers are the TOP_N characters b with the largest summed
frequency (ties broken by code point, so the output is deterministic).

Output, one line per character, sorted by code point: the character followed by its
followers, best first, with no separator (``中国文心华…``). UTF-8, trailing newline.

Usage: ``python resources/lexicon/regenerate.py [PATH]`` where PATH is ``dict.txt`` or the
jieba sdist (``jieba-0.42.1.tar.gz``); without PATH the sdist is fetched with
``pip download jieba==0.42.1 --no-deps``.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
JIEBA = "jieba==0.42.1"
TOP_N = 10


def is_hanzi(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def followers(lines: Iterable[str], top_n: int = TOP_N) -> dict[str, str]:
    """Map each hanzi to up to top_n following hanzi, best first."""
    score: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        word, freq = parts[0], int(parts[1])
        if len(word) < 2 or not all(is_hanzi(c) for c in word):
            continue
        for a, b in itertools.pairwise(word):
            score[a][b] += freq
    out = {}
    for a, nexts in score.items():
        best = sorted(nexts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]
        out[a] = "".join(b for b, _ in best)
    return out


def read_dict(path: Path) -> list[str]:
    if path.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("jieba/dict.txt"))
            f = tar.extractfile(member)
            assert f is not None
            return f.read().decode("utf-8").splitlines()
    return path.read_text(encoding="utf-8").splitlines()


def fetch(tmp: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", JIEBA, "--no-deps", "--no-binary", ":all:",
         "-d", str(tmp)],
        check=True,
    )
    return next(tmp.glob("jieba-*.tar.gz"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(args[0]) if args else fetch(Path(tmp))
        table = followers(read_dict(src))
    text = "".join(a + table[a] + "\n" for a in sorted(table))
    (HERE / "associations.txt").write_text(text, encoding="utf-8")
    print(f"associations.txt: {len(table)} characters, {len(text.encode('utf-8'))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
