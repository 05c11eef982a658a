"""Fuzz ``python -m engine recognize`` with hypothesis: mixed JSONL files, and crafted packages.

    .venv/bin/python bench/fuzz_cli.py lines [--examples 40] [--seed 0] [--model PKG]
    .venv/bin/python bench/fuzz_cli.py packages [--examples 30] [--seed 0] [--model PKG]

``lines``: each example is a file of 1-12 lines drawn from valid inks, broken JSON, deep
nesting, huge integer literals, non-UTF-8 bytes, blank lines, CR endings, long lines, with
or without a UTF-8 byte-order mark. It runs once on the file and once on stdin (a fresh
process each, memory capped at 4 GiB, 60 s). ``packages``: each example is the model
package made worse by one flipped byte, a truncation, or a craft of bench/fuzz_packages.py,
or a device / FIFO; recognize one good ink. Each craft runs three times: as ``--model``
with its checksums left as they were; with every checksum it holds recomputed, as
``--model`` (a valid package of its own: accepting it is right, but its sizes must be
bounded) and as the bundled model (its recorded sha256 the original package's: refused).

Outcomes, worst first: hang (past the time limit), crash (a traceback, a signal, an
unknown exit status, or a peak RSS over 1 GiB), lost (lines: not one output line per input line, in order, or file
and stdin disagree; packages: a changed package accepted), clean error (exit 1 or 2 with
messages only), ok. Prints the counts as one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import fuzz_packages as fp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

MEMORY_CAP = 4 << 30
TIMEOUT_S = 60.0
#: A child past this peak RSS counts as a crash too (bounded memory is required).
RSS_LIMIT_KB = 1 << 20
#: Runs ``python -m engine`` and reports its peak RSS on stderr when it exits.
WRAPPER = (
    f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for x in open('/proc/self/status'):\n"
    "        if x.startswith('VmHWM'): sys.stderr.write('\\npeak_rss_kb=' + x.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['engine', *sys.argv[1:]]\n"
    "runpy.run_module('engine', run_name='__main__', alter_sys=True)\n"
)
GOOD_INK = b'{"strokes": [[[0, 0, 0], [10, 10, 10]], [[0, 10, 20], [10, 0, 30]]]}'


def run_engine(
    args: list[str], stdin: bytes | None = None, resources: Path | None = None
) -> tuple[str, int, bytes, str]:
    """(kind, exit status, stdout, stderr) of one ``python -m engine`` process.

    ``resources``: a folder holding a package ``xiezi_resources``, found before the
    installed one, so that the bundled model is the one put there.
    """
    path = str(ROOT) if resources is None else f"{resources}{os.pathsep}{ROOT}"
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *args], input=stdin, capture_output=True,
            timeout=TIMEOUT_S, env=env, check=False,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return "hang", -1, b"", ""
    err = done.stderr.decode("utf-8", "replace")
    head, sep, peak = err.rpartition("\npeak_rss_kb=")
    err, peak = (head, peak.strip()) if sep else (err, "")
    if "Traceback" in err or done.returncode not in (0, 1, 2):
        return "crash", done.returncode, done.stdout, err
    if peak and int(peak) > RSS_LIMIT_KB:
        return "crash", done.returncode, done.stdout, f"peak RSS {int(peak) >> 10} MiB; {err}"
    return "done", done.returncode, done.stdout, err


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


@st.composite
def line(draw: Any) -> bytes:
    kind = draw(st.sampled_from([
        "ink", "ink", "ink", "junk", "deep", "bigint", "bytes", "blank", "cr", "long",
        "strings",
    ]))
    if kind == "ink":
        return _ink(draw)
    if kind == "junk":
        return draw(st.text(max_size=40)).replace("\n", " ").encode()
    if kind == "deep":
        d = draw(st.sampled_from([5, 50, 999, 1000, 5000, 200_000]))
        return b'{"strokes": ' + b"[" * d + b"]" * d + b"}"
    if kind == "bigint":
        d = draw(st.sampled_from([20, 308, 309, 400, 4300, 4301, 100_000]))
        return b'{"strokes": [[[1' + b"0" * d + b", 0, 0]]]}"
    if kind == "bytes":
        raw = draw(st.binary(min_size=1, max_size=30)).replace(b"\n", b"")
        return _ink(draw)[:-1] + b', "x": "' + raw + b'\xff"}'
    if kind == "blank":
        return draw(st.sampled_from([b"", b" ", b"\t", b"\r"]))
    if kind == "cr":
        return _ink(draw) + b"\r"
    if kind == "long":
        n = draw(st.sampled_from([1000, 200_000]))
        return b'{"strokes": [' + b",".join([b"[[1.5, 2.5, 3.5]]"] * n) + b"]}"
    return b'{"strokes": [[[0, 0, 0]]], "label": "\\ud800", "x": [NaN, Infinity, 1e999]}'


def expected_lines(data: bytes) -> int:
    """Lines of a JSONL file: pieces between b"\\n", a last unterminated piece included."""
    parts = data.split(b"\n")
    return len(parts) - (parts[-1] == b"")


def judge_lines(data: bytes, path: Path, model: list[str]) -> tuple[str, str]:
    path.write_bytes(data)
    results = []
    for args, stdin in (([str(path)], None), (["-"], data)):
        kind, rc, out, err = run_engine(["recognize", *args, *model], stdin)
        if kind != "done":
            return kind, err[-300:]
        rows = out.decode("utf-8", "replace").splitlines()
        want = expected_lines(data)
        if rc == 2 or len(rows) != want:
            return "lost", f"rc {rc}, {len(rows)} output lines for {want}: {err[-200:]}"
        for i, row in enumerate(rows, start=1):
            r = json.loads(row)
            if "error" in r and not r["error"].startswith(f"line {i}:"):
                return "lost", f"output {i} is {r['error'][:80]}"
        results.append(rows)
    if results[0] != results[1]:
        return "lost", "file and stdin answers differ"
    return ("ok" if rc == 0 else "clean error"), ""


def fuzz_lines(examples: int, seed: int, model: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-lines-"))

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.lists(line(), min_size=1, max_size=12), st.booleans(), st.booleans())
    def one(lines: list[bytes], bom: bool, final_newline: bool) -> None:
        data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (
            b"\n" if final_newline else b"")
        kind, why = judge_lines(data, tmp / "inks.jsonl", model)
        counts[kind] += 1
        counts["tried"] += 1
        if kind not in ("ok", "clean error"):
            print(f"{kind}: {why}", file=sys.stderr)

    _seeded(one, seed)()
    return counts


# -- packages -----------------------------------------------------------------------------
def judge_package(path: Path | str, ink: Path, changed: bool,
                  bundled_digest: str | None = None) -> tuple[str, str]:
    """Recognize one ink with the package; ``bundled_digest``: as the bundled model, whose
    recorded sha256 is that (a re-sealed edit is a valid package, refused only there)."""
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
    if rc == 0:
        return ("lost" if changed else "ok"), "a changed package was accepted"
    return "clean error", err.strip()[:200]


def fuzz_packages(examples: int, seed: int, model: Path) -> Counter[str]:
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
        record(*judge_package(path, ink, changed=True, bundled_digest=digest),
               f"{name}, sealed, as the bundled model")

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
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
    p.add_argument("target", choices=("lines", "packages"))
    p.add_argument("--examples", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", type=Path, default=ROOT / "resources/model/xiezi-gb1.xiezi")
    args = p.parse_args(argv)
    if args.target == "lines":
        counts = fuzz_lines(args.examples, args.seed, ["--model", str(args.model)])
    else:
        counts = fuzz_packages(args.examples, args.seed, args.model)
    keys = ("tried", "ok", "clean error", "crash", "hang", "lost")
    print(json.dumps({k: counts.get(k, 0) for k in keys}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
