"""Xiezi's pad (``python -m ime.app``) as the tests start it: its arguments, its locale, its log,
and the bundled model that the slow tests need."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "resources" / "model" / "xiezi-gb1.xiezi"
LM = ROOT / "resources" / "lm" / "lm.npz"
#: Skips a test in a checkout without the bundled model.
needs_model = pytest.mark.skipif(not MODEL.is_file(), reason="no bundled model in this checkout")
#: The variables that override LANG.
LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANGUAGE")


def pad_args(
    settings: Path, model: Path | None = None, *, tray: bool = False, insert: str = "clipboard"
) -> list[str]:
    """The pad's arguments: no tray icon (unless ``tray``), ``--insert insert``, its settings
    file and ``--model model`` (a missing file: the pad starts and says so; None: no
    ``--model``, the bundled model)."""
    args = [] if tray else ["--no-tray"]
    args += ["--insert", insert, "--settings", str(settings)]
    return args if model is None else [*args, "--model", str(model)]


def with_lang(env: Mapping[str, str], lang: str, drop: Iterable[str] = ()) -> dict[str, str]:
    """``env`` with LANG=lang and none of what overrides it (LOCALE_VARS), less ``drop``."""
    gone = {*LOCALE_VARS, *drop}
    return {**{k: v for k, v in env.items() if k not in gone}, "LANG": lang}


def run_python(
    args: list[str], env: Mapping[str, str] | None = None, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python *args`` in the checkout's root, its output captured as text, whatever its exit
    code; a process still running after ``timeout_s`` fails the test (TimeoutExpired)."""
    argv = [sys.executable, *args]
    return subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
    )


class PadProcess:
    """``python -m ime.app -v *args`` in its own process, its log (stderr) read line by line."""

    def __init__(self, args: list[str], env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ime.app", "-v", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def wait_line(self, part: str, timeout_s: float = 60) -> None:
        """Wait for a log line holding ``part``; fails once the time is up or the pad ended."""
        deadline = time.monotonic() + timeout_s
        while not any(part in line for line in self.lines):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"no {part!r} in the pad's log: {self.lines[-10:]}")
            time.sleep(0.05)  # another process's log: no signal to wait on

    def kill(self) -> None:
        """SIGKILL (where it still runs), then reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def close(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within 10 s."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
