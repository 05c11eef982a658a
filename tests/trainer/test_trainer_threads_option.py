"""``trainer train|eval|build|finetune --threads``: 1 .. the cores, else a usage error
(issue 22)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.runtime import max_threads

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[2]
TOO_MANY = "100000"

COMMANDS = {
    "train": ["train", "--out", "run"],
    "eval": ["eval", "last.pt", "inks.jsonl"],
    "build": ["build", "--preset", "tiny", "--out", "build"],
    "finetune": ["finetune", "--from", "model.xiezi", "--out", "ft"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("threads", [TOO_MANY, "0", "x"])
def test_trainer_refuses_threads_out_of_range(
    name: str, threads: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch")
    from trainer import cli

    with pytest.raises(SystemExit) as e:
        cli.main([*COMMANDS[name], "--threads", threads])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "argument --threads:" in err and f"1 .. {max_threads()}" in err
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir())  # refused before anything ran


def test_the_trainer_process_answers_with_one_error_line(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainer",
            "build",
            "--out",
            str(tmp_path / "b"),
            "--threads",
            TOO_MANY,
        ],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert f"threads={TOO_MANY} is more than the" in err and "Traceback" not in err
    assert not (tmp_path / "b").exists()
