"""What must hold in every Xiezi process before onnxruntime runs: no telemetry, threads
within the cores.

Needs only the standard library, so ``engine/__init__.py`` calls
:func:`keep_onnxruntime_offline` on any import of the engine, and the CLIs check ``--threads``
before onnxruntime or torch start a thread pool.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

logger = logging.getLogger(__name__)

#: onnxruntime 1.32 on Linux, at import, writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/
#: {deviceid,onnxruntime.db} (a queue of events: OS, CPU model, executable path) and about 9 s
#: later looks up mobile.events.data.microsoft.com from a background thread (issue 22). This
#: variable, in the environment before onnxruntime is imported, stops both;
#: onnxruntime.disable_telemetry_events() alone does not. tests/release/test_privacy.py
#: watches the CLI, the pad and a build with strace.
TELEMETRY_VARIABLE = "ORT_DISABLE_TELEMETRY"


def keep_onnxruntime_offline() -> None:
    """Switch onnxruntime's telemetry off for this process and its children; call before the
    first ``import onnxruntime`` (engine/session.py, the one module that imports it, does).

    Sets the variable even when the user set another value: the README promises that nothing
    leaves the machine. Warns when onnxruntime was already imported without it (too late).
    """
    if "onnxruntime" in sys.modules and os.environ.get(TELEMETRY_VARIABLE) != "1":
        logger.warning(
            "onnxruntime was imported before the engine, with its telemetry on; "
            "set %s=1 in the environment, or import engine first",
            TELEMETRY_VARIABLE,
        )
    os.environ[TELEMETRY_VARIABLE] = "1"


def max_threads() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def check_threads(threads: int) -> int:
    """``threads`` if it is a whole number from 1 to :func:`max_threads`, else ValueError.

    More threads than cores only slow a recognizer down, and an unbounded count let
    onnxruntime start 32,434 threads and exhaust the machine's process limit (issue 22).
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(
            f"threads must be a whole number, 1 .. {max_threads()} (the CPU cores "
            f"this process may use), got {threads!r}"
        )
    cores = max_threads()
    if threads > cores:
        raise ValueError(
            f"threads={threads} is more than the {cores} CPU cores this process "
            f"may use: choose 1 .. {cores}"
        )
    return threads


def thread_count(text: str) -> int:
    """The ``type=`` of every ``--threads`` option: a usage error (exit 2) when out of range."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a whole number: choose 1 .. {max_threads()}"
        ) from None
    try:
        return check_threads(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
