"""Fuzz ``python -m engine recognize``: JSONL lines (timed one by one), crafted packages,
paths that are not files, and what the process reaches on the network.

    .venv/bin/python bench/fuzz_cli.py lines [--examples 40] [--seed 0] [--model PKG]
    .venv/bin/python bench/fuzz_cli.py packages [--examples 30] [--seed 0] [--model PKG]
    .venv/bin/python bench/fuzz_cli.py files [--model PKG]
    .venv/bin/python bench/fuzz_cli.py privacy [--model PKG]
    .venv/bin/python bench/fuzz_cli.py all [--examples 10] ...

``lines``: each example is a file of 1-12 lines drawn from valid inks, broken JSON, deep
nesting, huge integer literals, non-UTF-8 bytes, blank lines, CR endings, long lines and
bombs of up to 1 MiB, the longest line read, and just past it (quotes, backslashes, brackets,
digits, random bytes), with or without a UTF-8 byte-order mark. It runs once on the file,
and once on standard input fed one line at a time: each line must be answered within
--bound seconds (issue 22: one 1 MiB line of ``\\"`` took an hour and blocked every later
line). ``packages``: the package made worse by a flipped byte, a truncation, or a craft of
bench/fuzz_packages.py, or a device / FIFO; recognize one good ink. A craft of ``CRAFTS``
runs with its checksums as they were, re-sealed as ``--model`` (a valid package of its own:
accepting it is right, its sizes must be bounded) and re-sealed as the bundled model
(refused); a craft of ``INVALID`` (parameters out of range, NaN weights) must be refused at
load, sealed or not. ``files``: a folder, a device, a missing path (a clear error within
--bound s), a FIFO and a pipe (read as they come). ``privacy``: one run watched with
strace (tests/support/observe.py): no DNS lookup, no connection off the loopback, nothing
written under ~/.cache/Microsoft, while it lives past onnxruntime's telemetry delay.

Outcomes, worst first: hang (past the time limit), crash (a traceback, a signal, an unknown
exit status, or a peak RSS over 1 GiB), leak (privacy), slow (a line, or a refusal, later
than --bound), lost (not one answer per line, in order, or file and stdin disagree; a
changed package accepted, or an invalid one refused only after loading), clean error (exit
1 or 2 with messages only), ok. Prints the counts and the slowest answer per kind of line
as one JSON line, with the longest line of each kind that was parsed ("kind (bytes)").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import fuzz_files
import fuzz_packages as fp
import numpy as np
from fuzz_process import StreamedEngine, run_engine
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

#: Seconds within which every line must be answered (the issue's bar: 5 s for a 200 KB
#: quote bomb; measured under 0.2 s for 1 MiB on this machine).
BOUND_S = 5.0
MAX_LINE = 1 << 20  # engine.lines.MAX_LINE_BYTES
GOOD_INK = b'{"strokes": [[[0, 0, 0], [10, 10, 10]], [[0, 10, 20], [10, 0, 30]]]}'
OUTCOMES = ("tried", "ok", "clean error", "lost", "slow", "leak", "crash", "hang")


# -- lines --------------------------------------------------------------------------------
def _ink(draw: Any) -> bytes:
    strokes, t = [], 0
    for _ in range(draw(st.integers(1, 3))):
        pts = []
        for _ in range(draw(st.integers(1, 6))):
            t += draw(st.integers(0, 30))
            pts.append([draw(st.integers(-50, 150)), draw(st.integers(-50, 150)), t])
        strokes.append(pts)
    obj: dict[str, Any] = {"strokes": strokes}
    if draw(st.booleans()):
        obj["label"] = draw(st.sampled_from("中日口人大"))
    return json.dumps(obj, ensure_ascii=False).encode()


def bomb(kind: str, size: int, seed: int = 0) -> bytes:
    """A line of ``size`` bytes (no newline) that once took super-linear time, or random."""
    if kind == "quote-bomb":
        return (b'"' + b'\\"' * size)[:size]
    if kind == "backslash-run":  # runs of 2k backslashes, each before an escaped quote
        return (b'{"strokes": [], "x": "' + (b"\\" * (2 * (seed % 4)) + b'\\"') * size)[:size]
    if kind == "bracket-bomb":
        return (b'["' * size)[:size] if seed % 2 else b"[" * size
    if kind == "long-number":
        head = b'{"strokes": [[[' + (b"-0." if seed % 2 else b"")
        return head + b"9" * max(size - len(head) - 10, 1) + b", 0, 0]]]}"
    raw = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    return raw.replace(b"\n", b" ")


BOMBS = ("quote-bomb", "backslash-run", "bracket-bomb", "long-number", "random-bytes")


@st.composite
def line(draw: Any) -> tuple[str, bytes]:
    """(kind, the line without its newline)."""
    kind = draw(
        st.sampled_from(
            [
                "ink",
                "ink",
                "ink",
                "junk",
                "deep",
                "bigint",
                "bytes",
                "blank",
                "cr",
                "long",
                "strings",
                *BOMBS,
            ]
        )
    )
    if kind in BOMBS:
        size = draw(st.sampled_from([1000, 200_000, MAX_LINE, MAX_LINE + 1]))
        return kind, bomb(kind, size, draw(st.integers(0, 1000)))
    if kind == "ink":
        return kind, _ink(draw)
    if kind == "junk":
        return kind, draw(st.text(max_size=40)).replace("\n", " ").encode()
    if kind == "deep":
        d = draw(st.sampled_from([5, 50, 999, 1000, 5000, 200_000]))
        return kind, b'{"strokes": ' + b"[" * d + b"]" * d + b"}"
    if kind == "bigint":
        d = draw(st.sampled_from([20, 308, 309, 400, 4300, 4301, 100_000]))
        return kind, b'{"strokes": [[[1' + b"0" * d + b", 0, 0]]]}"
    if kind == "bytes":
        raw = draw(st.binary(min_size=1, max_size=30)).replace(b"\n", b"")
        return kind, _ink(draw)[:-1] + b', "x": "' + raw + b'\xff"}'
    if kind == "blank":
        return kind, draw(st.sampled_from([b"", b" ", b"\t", b"\r"]))
    if kind == "cr":
        return kind, _ink(draw) + b"\r"
    if kind == "long":
        n = draw(st.sampled_from([1000, 200_000]))
        return kind, b'{"strokes": [' + b",".join([b"[[1.5, 2.5, 3.5]]"] * n) + b"]}"
    return kind, b'{"strokes": [[[0, 0, 0]]], "label": "\\ud800", "x": [NaN, Infinity, 1e999]}'


def expected_lines(data: bytes) -> int:
    """Lines of a JSONL file: pieces between b"\\n", a last unterminated piece included."""
    parts = data.split(b"\n")
    return len(parts) - (parts[-1] == b"")


def _check_rows(rows: list[str], want: int) -> str:
    if len(rows) != want:
        return f"{len(rows)} output lines for {want}"
    for i, row in enumerate(rows, start=1):
        r = json.loads(row)
        if "error" in r and not r["error"].startswith(f"line {i}:"):
            return f"output {i} is {r['error'][:80]}"
    return ""


def judge_lines(
    kinds: list[str],
    data: bytes,
    path: Path,
    model: list[str],
    bound_s: float,
    slowest: dict[str, float],
) -> tuple[str, str]:
    """Run the file, then standard input one line at a time, timing each answer."""
    path.write_bytes(data)
    want = expected_lines(data)
    kind, rc, out, err = run_engine(["recognize", str(path), *model])
    if kind != "done":
        return kind, err[-300:]
    file_rows = out.decode("utf-8", "replace").splitlines()
    why = _check_rows(file_rows, want) if rc != 2 else f"rc 2: {err[-200:]}"
    if why:
        return "lost", f"file: {why}"
    engine = StreamedEngine(model)
    rows, late = [], ""
    pieces = data.split(b"\n")
    for i, piece in enumerate(pieces[:want]):
        last = i == len(pieces) - 1  # the unterminated last line: answered at the end
        answer, seconds = engine.ask(piece if last else piece + b"\n", bound_s + 30, last)
        k = kinds[i] if i < len(kinds) else "?"
        slowest[k] = round(max(slowest.get(k, 0.0), seconds), 3)
        if len(piece) <= MAX_LINE:  # the longest line of this kind that was parsed
            largest = f"{k} (bytes)"
            slowest[largest] = max(slowest.get(largest, 0), len(piece))
        if answer is None:
            engine.close(1)
            return "hang", f"line {i + 1} ({k}, {len(piece)} bytes): no answer in {bound_s + 30} s"
        rows.append(json.dumps(answer, ensure_ascii=False))
        if seconds > bound_s and not late:
            late = f"line {i + 1} ({k}, {len(piece)} bytes) answered after {seconds:.1f} s"
    kind, rc2, err = engine.close()
    if kind != "done":
        return kind, err[-300:]
    why = _check_rows(rows, want)
    if why:
        return "lost", f"stdin: {why}"
    if [json.loads(r) for r in rows] != [json.loads(r) for r in file_rows] or rc != rc2:
        return "lost", "file and stdin answers differ"
    if late:
        return "slow", late
    return ("ok" if rc == 0 else "clean error"), ""


def fuzz_lines(
    examples: int, seed: int, model: list[str], bound_s: float, slowest: dict[str, float]
) -> Counter[str]:
    counts: Counter[str] = Counter()
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-lines-"))

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(line(), min_size=1, max_size=12), st.booleans(), st.booleans())
    def one(lines: list[tuple[str, bytes]], bom: bool, final_newline: bool) -> None:
        data = (
            (b"\xef\xbb\xbf" if bom else b"")
            + b"\n".join(b for _, b in lines)
            + (b"\n" if final_newline else b"")
        )
        kinds = [k for k, _ in lines]
        kind, why = judge_lines(kinds, data, tmp / "inks.jsonl", model, bound_s, slowest)
        counts[kind] += 1
        counts["tried"] += 1
        if kind not in ("ok", "clean error"):
            print(f"{kind}: {why}", file=sys.stderr)

    _seeded(one, seed)()
    return counts


# -- packages -----------------------------------------------------------------------------
def judge_package(
    path: Path | str,
    ink: Path,
    changed: bool,
    bundled_digest: str | None = None,
    invalid: bool = False,
) -> tuple[str, str]:
    """Recognize one ink with the package; ``bundled_digest``: as the bundled model, whose
    recorded sha256 is that (a re-sealed edit is a valid package, refused only there);
    ``invalid``: it must be refused at load (exit 2, "cannot load model package")."""
    if bundled_digest is None:
        kind, rc, _, err = run_engine(["recognize", str(ink), "--model", str(path)])
    else:
        res = Path(path).parent / "bundled"
        model_dir = res / "xiezi_resources" / "model"
        model_dir.mkdir(parents=True, exist_ok=True)
        (res / "xiezi_resources" / "__init__.py").write_text("")
        (model_dir / "xiezi-gb1.xiezi").write_bytes(Path(path).read_bytes())
        (model_dir / "xiezi-gb1.sha256").write_text(f"{bundled_digest}  xiezi-gb1.xiezi\n")
        kind, rc, _, err = run_engine(["recognize", str(ink)], resources=res)
    if kind != "done":
        return kind, err[-300:]
    if invalid and (rc != 2 or "cannot load model package" not in err):
        return "lost", f"an invalid package was not refused at load (rc {rc}): {err[-200:]}"
    if rc == 0:
        return ("lost" if changed else "ok"), "a changed package was accepted"
    return "clean error", err.strip()[:200]


def fuzz_packages(examples: int, seed: int, model: Path) -> Counter[str]:
    import hashlib

    counts: Counter[str] = Counter()
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-pkg-"))
    ink = tmp / "ink.jsonl"
    ink.write_bytes(GOOD_INK + b"\n")
    good = model.read_bytes()
    digest = hashlib.sha256(good).hexdigest()
    members = fp.read_members(model)

    def record(kind: str, why: str, what: str) -> None:
        counts[kind] += 1
        counts["tried"] += 1
        if kind not in ("ok", "clean error"):
            print(f"{kind} ({what}): {why}", file=sys.stderr)

    fifo = tmp / "fifo"
    os.mkfifo(fifo)
    for special in ("/dev/zero", str(fifo)):
        kind, why = judge_package(special, ink, changed=True)
        record(kind, why, special)
    for name, craft in fp.CRAFTS.items():
        path = tmp / f"{name}.xiezi"
        fp.write_members(path, craft(members))  # checksums left as they were
        record(*judge_package(path, ink, changed=True), f"{name}, unsealed")
        fp.write_members(path, fp.seal(craft(members)))
        # re-sealed, it is a valid package of its own (accepting it is right) whose sizes
        # must still be bounded; as the bundled model it must be refused
        record(*judge_package(path, ink, changed=False), f"{name}, sealed")
        record(
            *judge_package(path, ink, changed=True, bundled_digest=digest),
            f"{name}, sealed, as the bundled model",
        )
    for name, craft in fp.INVALID.items():  # refused at load, naming the field, sealed too
        path = tmp / "invalid.xiezi"
        fp.write_members(path, fp.seal(craft(members)))
        record(*judge_package(path, ink, changed=True, invalid=True), f"{name}, sealed")

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.integers(0, len(good) - 1), st.integers(1, 255), st.booleans())
    def one(at: int, xor: int, truncate: bool) -> None:
        bad = good[:at] if truncate else good[:at] + bytes([good[at] ^ xor]) + good[at + 1 :]
        path = tmp / "bad.xiezi"
        path.write_bytes(bad)
        record(*judge_package(path, ink, changed=True), f"byte {at} ^ {xor}, cut {truncate}")

    _seeded(one, seed)()
    return counts


def _seeded(test: Any, seed: int) -> Any:
    from hypothesis import seed as hseed

    return hseed(seed)(test)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("target", choices=("lines", "packages", "files", "privacy", "all"))
    p.add_argument("--examples", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--bound",
        type=float,
        default=BOUND_S,
        help=f"seconds within which each line is answered (default {BOUND_S:g})",
    )
    p.add_argument("--model", type=Path, default=ROOT / "resources/model/xiezi-gb1.xiezi")
    args = p.parse_args(argv)
    model = ["--model", str(args.model)]
    counts: Counter[str] = Counter()
    slowest: dict[str, float] = {}
    report: dict[str, Any] = {}
    if args.target in ("lines", "all"):
        counts += fuzz_lines(args.examples, args.seed, model, args.bound, slowest)
    if args.target in ("packages", "all"):
        counts += fuzz_packages(args.examples, args.seed, args.model)
    if args.target in ("files", "all"):
        counts += fuzz_files.fuzz_files(args.model, args.bound, slowest)
    if args.target in ("privacy", "all"):
        found, report["privacy"] = fuzz_files.privacy(args.model)
        counts += found
    print(
        json.dumps(
            {
                **{k: counts.get(k, 0) for k in OUTCOMES},
                **report,
                "slowest_s": dict(sorted(slowest.items())),
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
