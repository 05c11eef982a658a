"""``python -m engine`` in a child process for bench/fuzz_cli.py: memory-capped, timed, its
peak RSS read, and fed one line at a time so that each answer's delay is measured.

Outcomes, worst first: "hang" (past the time limit), "crash" (a traceback, a signal, an
unknown exit status, or a peak RSS over RSS_LIMIT_KB), "slow" (a line answered later than
the bound asked for), else "done".
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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


def engine_env(resources: Path | None = None) -> dict[str, str]:
    """The child's environment; ``resources``: a folder holding a package
    ``xiezi_resources``, found before the installed one (its model is the bundled one)."""
    path = str(ROOT) if resources is None else f"{resources}{os.pathsep}{ROOT}"
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}


def judge_exit(rc: int, err: str) -> tuple[str, str]:
    """("crash" or "done", stderr without the peak line) for a child that exited."""
    head, sep, peak = err.rpartition("\npeak_rss_kb=")
    err, peak = (head, peak.strip()) if sep else (err, "")
    if "Traceback" in err or rc not in (0, 1, 2):
        return "crash", err
    if peak and int(peak) > RSS_LIMIT_KB:
        return "crash", f"peak RSS {int(peak) >> 10} MiB; {err}"
    return "done", err


def run_engine(
    args: list[str],
    stdin: bytes | None = None,
    resources: Path | None = None,
    timeout_s: float = TIMEOUT_S,
) -> tuple[str, int, bytes, str]:
    """(kind, exit status, stdout, stderr) of one ``python -m engine`` process."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *args],
            input=stdin,
            capture_output=True,
            timeout=timeout_s,
            env=engine_env(resources),
            check=False,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return "hang", -1, b"", ""
    kind, err = judge_exit(done.returncode, done.stderr.decode("utf-8", "replace"))
    return kind, done.returncode, done.stdout, err


class StreamedEngine:
    """``python -m engine recognize -`` (or a FIFO) fed one line at a time; each answer's
    delay measured.

    ``ask(line)`` writes the line (a writer thread: a stuck engine cannot block the caller)
    and waits at most ``bound_s`` for its answer; the delay runs from the first byte written
    to the answer read, so reading a 1 MiB line counts.
    """

    def __init__(self, args: list[str], fifo: Path | None = None) -> None:
        """``args`` after ``recognize -``; ``fifo``: read that FIFO instead of standard
        input (the lines are written into it)."""
        self.fifo = fifo
        source = "-" if fifo is None else str(fifo)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, "recognize", source, *args],
            stdin=subprocess.PIPE if fifo is None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=engine_env(),
        )
        self.answers: queue.Queue[bytes] = queue.Queue()
        self.inbox: queue.Queue[bytes | None] = queue.Queue()
        self.err = b""
        self.threads = [
            threading.Thread(target=t, daemon=True)
            for t in (self._read, self._write, self._read_err)
        ]
        for t in self.threads:
            t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for row in self.proc.stdout:
            self.answers.put(row)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self.err = self.proc.stderr.read()

    def _write(self) -> None:
        first = self.inbox.get()
        if first is None and self.fifo is not None:
            return  # nothing to write: the FIFO is never opened for writing
        try:
            # a FIFO's open waits for the reader, as the engine's waits for a writer
            sink = self.proc.stdin if self.fifo is None else open(self.fifo, "wb")  # noqa: SIM115
        except OSError:
            return
        assert sink is not None
        data = first
        while data is not None:
            try:
                sink.write(data)
                sink.flush()
            except (BrokenPipeError, ValueError, OSError):
                return
            data = self.inbox.get()
        with contextlib.suppress(OSError):
            sink.close()

    def ask(self, data: bytes, bound_s: float, last: bool = False) -> tuple[Any, float]:
        """(the parsed answer or None when none came within bound_s, seconds); ``last``:
        close standard input after ``data`` (a last line without a newline is answered then)."""
        t0 = time.monotonic()
        self.inbox.put(data)
        if last:
            self.inbox.put(None)
        try:
            row = self.answers.get(timeout=bound_s)
        except queue.Empty:
            return None, time.monotonic() - t0
        return json.loads(row), time.monotonic() - t0

    def close(self, timeout_s: float = 30.0) -> tuple[str, int, str]:
        """(kind, exit status, stderr) once it exits (killed after ``timeout_s``: "hang")."""
        self.inbox.put(None)
        try:
            rc = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return "hang", -1, ""
        self.threads[2].join(5)  # stderr read to its end
        kind, err = judge_exit(rc, self.err.decode("utf-8", "replace"))
        return kind, rc, err
