"""bench/fuzz_cli.py's ``files`` and ``privacy`` targets: paths that are not files, and
what ``python -m engine recognize`` reaches on the network (issue 22).

A folder, a device or a missing path must get one clear error within the bound; a FIFO and
the pipe of ``<(command)`` are streams, read as they come like standard input (a FIFO with
no writer waits for one, as ``cat`` does, and ends when its writer does). ``privacy`` runs
the CLI under strace with a fresh HOME (tests/support/observe.py), alive past onnxruntime
1.32's telemetry delay (~9 s): no DNS lookup, no connection off the loopback, nothing under
~/.cache/Microsoft.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fuzz_process import WRAPPER, StreamedEngine, engine_env, run_engine

ROOT = Path(__file__).resolve().parent.parent
GOOD = b'{"strokes": [[[0, 0, 0], [10, 10, 10]], [[0, 10, 20], [10, 0, 30]]]}'
#: Seconds a run under strace stays alive: onnxruntime's telemetry lookup came ~9.1 s after
#: its import (tests/release/test_privacy.py).
STAY_S = 12.0


def fuzz_files(model: Path, bound_s: float, slowest: dict[str, float]) -> Counter[str]:
    counts: Counter[str] = Counter()
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-files-"))
    (tmp / "link").symlink_to(tmp)
    args = ["--model", str(model)]

    def record(kind: str, what: str, why: str = "") -> None:
        counts[kind] += 1
        counts["tried"] += 1
        if kind not in ("ok", "clean error"):
            print(f"{kind} ({what}): {why}", file=sys.stderr)

    refused = {
        "folder": tmp,
        "link to a folder": tmp / "link",
        "missing": tmp / "none.jsonl",
        "/dev/null": Path("/dev/null"),
        "/dev/zero": Path("/dev/zero"),
        "/dev/urandom": Path("/dev/urandom"),
    }
    for what, path in refused.items():
        t0 = time.monotonic()
        kind, rc, out, err = run_engine(["recognize", str(path), *args], timeout_s=bound_s + 30)
        seconds = time.monotonic() - t0
        slowest[f"path: {what}"] = round(seconds, 3)
        if kind != "done":
            record(kind, what, err[-200:])
        elif rc != 2 or out or not err.startswith(f"error: cannot read {path}: "):
            record("lost", what, f"rc {rc}, {out[:80]!r}, {err[-200:]}")
        else:
            record("slow" if seconds > bound_s else "clean error", what, err.strip())
    record(*_fifo_streamed(tmp / "fifo1", args, bound_s, slowest), "FIFO, lines as they come")
    record(*_fifo_without_writer(tmp / "fifo2", args, bound_s), "FIFO without a writer")
    record(*_pipe(args, bound_s), "the pipe of <(command)")
    return counts


def _fifo_streamed(
    fifo: Path, args: list[str], bound_s: float, slowest: dict[str, float]
) -> tuple[str, str]:
    """Each line answered while the writer still holds the FIFO open."""
    os.mkfifo(fifo)
    engine = StreamedEngine(args, fifo=fifo)
    for i, line in enumerate([GOOD, b'"' + b'\\"' * 100_000, GOOD], start=1):
        answer, seconds = engine.ask(line + b"\n", bound_s + 30)
        slowest["FIFO line"] = round(max(slowest.get("FIFO line", 0.0), seconds), 3)
        if answer is None:
            engine.close(1)
            return "hang", f"line {i} not answered while the FIFO is open"
        if seconds > bound_s and i > 1:  # the first answer waits for the model to load
            engine.close()
            return "slow", f"line {i} answered after {seconds:.1f} s"
    kind, rc, err = engine.close()
    if kind != "done" or rc != 1:
        return (kind if kind != "done" else "lost"), f"rc {rc}: {err[-200:]}"
    return "ok", ""


def _fifo_without_writer(fifo: Path, args: list[str], bound_s: float) -> tuple[str, str]:
    """It waits for a writer (as cat does), and ends, with no answer, when the writer ends."""
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, "recognize", str(fifo), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=engine_env(),
    )
    try:
        time.sleep(3.0)
        if proc.poll() is not None:
            return "lost", f"it did not wait for a writer (rc {proc.returncode})"
        with open(fifo, "wb"):
            pass  # a writer that writes nothing
        out, err = proc.communicate(timeout=bound_s + 30)
    except subprocess.TimeoutExpired:
        return "hang", "still running after its writer closed the FIFO"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    if proc.returncode != 0 or out or b"Traceback" in err:
        return "lost", f"rc {proc.returncode}, {out[:80]!r}, {err[-200:]!r}"
    return "ok", ""


def _pipe(args: list[str], bound_s: float) -> tuple[str, str]:
    r, w = os.pipe()
    os.write(w, GOOD + b"\n")
    os.close(w)
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, "recognize", f"/dev/fd/{r}", *args],
            capture_output=True,
            timeout=bound_s + 60,
            pass_fds=(r,),
            env=engine_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "hang", ""
    finally:
        os.close(r)
    if done.returncode != 0 or b"candidates" not in done.stdout:
        return "lost", f"rc {done.returncode}: {done.stderr[-200:]!r}"
    return "ok", ""


def privacy(model: Path) -> tuple[Counter[str], dict[str, Any]]:
    """(counts, what was seen) of one CLI run under strace with a fresh HOME."""
    counts: Counter[str] = Counter()
    sys.path.insert(0, str(ROOT))
    try:
        from tests.support.observe import observe, strace_problem
    except ImportError as e:
        return counts, {"skipped": f"no tests/support/observe.py ({e})"}
    problem = strace_problem()
    if problem is not None:
        return counts, {"skipped": problem}
    with tempfile.TemporaryDirectory(prefix="fuzz-home-") as home:
        env = {**engine_env(), "HOME": home}
        env.pop("ORT_DISABLE_TELEMETRY", None)  # the engine must turn it off by itself
        env.pop("CI", None)  # onnxruntime keeps telemetry off under CI: watch it as users run it
        lines = b"\n".join([GOOD, b"[", b'"' + b'\\"' * 100_000, GOOD]) + b"\n"
        obs = observe(
            [sys.executable, "-m", "engine", "recognize", "-", "--model", str(model)],
            env,
            cwd=ROOT,
            stdin=lines,
            hold_stdin_s=STAY_S,
            timeout_s=120,
        )
        problems = obs.problems(home)
    answered = len(obs.stdout.splitlines())
    kind = "leak" if problems else ("hang" if obs.timed_out else "ok")
    if kind == "ok" and (obs.returncode != 1 or answered != 4 or "Traceback" in obs.stderr):
        kind = "lost"
    counts[kind] += 1
    counts["tried"] += 1
    if kind != "ok":
        print(
            f"{kind} (privacy): {problems[:5]} rc {obs.returncode}, {answered} answers",
            file=sys.stderr,
        )
    return counts, {
        "problems": problems[:10],
        "contacts": [str(c) for c in obs.network][:10],
        "stayed_s": STAY_S,
    }
