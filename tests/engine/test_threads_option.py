"""--threads is bounded where it is parsed: 1 .. the cores, a usage error otherwise (issue 22).

An unbounded count let onnxruntime start 32,434 threads and exhaust the process limit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.recognizer import Recognizer, RecognizerOptions
from engine.runtime import check_threads, max_threads, thread_count
from engine.session import session_options

ROOT = Path(__file__).resolve().parents[2]
TOO_MANY = "100000"


def test_max_threads_is_the_affinity_mask() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert max_threads() == expected >= 1


def test_check_threads_accepts_1_to_the_cores_and_names_the_fix() -> None:
    assert [check_threads(n) for n in range(1, max_threads() + 1)] == list(
        range(1, max_threads() + 1)
    )
    with pytest.raises(ValueError, match=rf"CPU cores .*choose 1 \.\. {max_threads()}"):
        check_threads(max_threads() + 1)
    for bad in (0, -3, 2.0, True, None, "2"):
        with pytest.raises(ValueError, match="threads must be a whole number"):
            check_threads(bad)  # type: ignore[arg-type]


def test_the_session_and_the_recognizer_refuse_more_threads_than_cores() -> None:
    with pytest.raises(ValueError, match="CPU cores"):
        session_options(int(TOO_MANY))
    with pytest.raises(ValueError, match="CPU cores"):  # at construction, not at the lazy load
        Recognizer(Path("no-such.xiezi"), RecognizerOptions(threads=int(TOO_MANY)))


@pytest.mark.parametrize("text", [TOO_MANY, "0", "-1", "two", "9" * 5000])
def test_thread_count_is_a_usage_error(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=rf"1 \.\. {max_threads()}"):
        thread_count(text)
    assert thread_count(str(max_threads())) == max_threads()


@pytest.mark.parametrize("command", ["recognize", "eval"])
def test_engine_cli_refuses_too_many_threads(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as e:
        main([command, "-", "--threads", TOO_MANY])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --threads: threads={TOO_MANY} is more than the" in err
    assert "Traceback" not in err


def test_python_dash_m_engine_answers_with_one_error_line() -> None:
    """The real process: exit 2, usage and one error line, no traceback, no model loaded."""
    done = subprocess.run(
        [sys.executable, "-m", "engine", "recognize", "-", "--threads", TOO_MANY],
        input=b"",
        capture_output=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    lines = err.splitlines()
    assert lines[0].startswith("usage: python -m engine recognize"), err
    assert [line for line in lines if "error" in line] == lines[-1:], err
    assert lines[-1].startswith("python -m engine recognize: error: argument --threads: threads=")
    assert "Traceback" not in err
