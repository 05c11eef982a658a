"""Issue 22: what ``python -m engine recognize PATH`` does with a path that is not a file.

A stream (a FIFO, the pipe of ``<(command)``) is read as it comes, like standard input: a
line is answered before the next is written. A folder or a device is refused at once, by
name, before it is opened (/dev/zero as a path read one endless line forever).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.ink import iter_jsonl
from tests.support.engine_fixtures import sample_ink

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and device nodes")
ROOT = Path(__file__).resolve().parents[2]
GOOD = sample_ink(0).to_json()


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("{tmp}", "it is a folder; give a JSONL file, or - for standard input"),
        ("{tmp}/link", "it is a folder"),
        (
            "/dev/zero",
            (
                "it is a device, not a file of ink; to read a terminal or another "
                "stream, give - and redirect standard input"
            ),
        ),
        ("/dev/null", "it is a device"),
    ],
)
def test_a_folder_or_a_device_is_refused_by_name_at_once(
    tiny_package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: str,
    what: str,
) -> None:
    (tmp_path / "link").symlink_to(tmp_path)
    path = path.format(tmp=tmp_path)
    t0 = time.monotonic()
    assert main(["recognize", path, "--model", str(tiny_package)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: cannot read {path}: {what}")
    assert time.monotonic() - t0 < 5
    with pytest.raises(OSError, match=what.split(";")[0]):
        list(iter_jsonl(path))


def test_a_fifo_is_read_as_it_comes(tiny_package: Path, tmp_path: Path) -> None:
    """Each line is answered while the writer still holds the FIFO open; its end ends the run."""
    fifo = tmp_path / "inks"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "recognize", str(fifo), "--model", str(tiny_package)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    answers: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        answers.extend(row.decode() for row in proc.stdout)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        with open(fifo, "w", encoding="utf-8") as w:  # blocks until the engine opens it
            for i, line in enumerate([GOOD, "[", GOOD], start=1):
                w.write(line + "\n")
                w.flush()
                deadline = time.monotonic() + 60
                while len(answers) < i and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert len(answers) == i, f"line {i} not answered while the FIFO is open"
        assert done.wait(30) and proc.wait(30) == 1
    finally:
        proc.kill()
        proc.wait(10)
    rows = [json.loads(a) for a in answers]
    assert "candidates" in rows[0] and "candidates" in rows[2]
    assert rows[1]["error"].startswith("line 2: not valid JSON")


def test_process_substitution_reads_like_a_file(tiny_package: Path) -> None:
    """``recognize <(cat inks.jsonl)``: /dev/fd/N is a pipe."""
    r, w = os.pipe()
    os.write(w, (GOOD + "\n").encode())
    os.close(w)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "engine",
                "recognize",
                f"/dev/fd/{r}",
                "--model",
                str(tiny_package),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            pass_fds=(r,),
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        )
    finally:
        os.close(r)
    assert done.returncode == 0, done.stderr
    assert "candidates" in json.loads(done.stdout)
