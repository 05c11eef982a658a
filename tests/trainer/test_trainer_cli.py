"""The trainer command line: subcommands wired in, arguments mapped, errors one line long."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from trainer import cli
from trainer.checkpoint import read_checkpoint

pytestmark = pytest.mark.torch
torch.set_num_threads(1)

TINY = ["--classes", "3", "--steps", "2", "--batch-size", "4", "--bucket-batches", "1",
        "--hidden1", "4", "--hidden2", "4", "--fc", "4", "--val-per-class", "1",
        "--threads", "1", "--workers", "0", "--no-progress"]  # fmt: skip


def subcommands(parser: object) -> set[str]:
    action = next(a for a in parser._actions if a.dest == "command")  # type: ignore[attr-defined]
    return set(action.choices)


def test_every_subcommand_is_wired_in() -> None:
    assert {"train", "eval", "preview", "build"} <= subcommands(cli.build_parser())


def test_train_maps_arguments_and_resume_extends_a_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert cli.main(["train", "--out", str(out), "--lr", "0.005", "--seed", "3", *TINY]) == 0
    ckpt = read_checkpoint(out / "last.pt")
    assert ckpt["step"] == 2 and len(ckpt["charset"]) == 3
    assert ckpt["train_config"]["lr"] == 0.005 and ckpt["train_config"]["seed"] == 3
    assert ckpt["data_config"]["batch_size"] == 4 and ckpt["data_config"]["num_classes"] == 3
    assert ckpt["model_spec"]["config"]["hidden2"] == 4
    tiny = [a if a != "2" else "5" for a in TINY]  # --steps 5
    assert cli.main(["train", "--out", str(out), "--resume", *tiny]) == 0
    ckpt = read_checkpoint(out / "last.pt")
    assert ckpt["step"] == 5 and ckpt["train_config"]["steps"] == 5
    assert ckpt["samples_seen"] == 5 * 4 and ckpt["data_position"] == 5
    assert cli.main(["train", "--out", str(out), "--resume", *tiny]) == 0  # already complete
    assert read_checkpoint(out / "last.pt")["step"] == 5


def test_train_refuses_to_overwrite_a_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "last.pt").write_bytes(b"x")
    assert cli.main(["train", "--out", str(tmp_path), *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert cli.main(["train", "--out", str(tmp_path), "--resume", *TINY]) == 2
    assert "corrupt or truncated" in capsys.readouterr().err


def test_bad_train_arguments_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["train", "--out", str(tmp_path / "a"), *TINY, "--batch-size", "0"]) == 2
    assert "batch_size" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "--out", str(tmp_path / "b"), "--device", "tpu"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "build"])
def test_out_naming_a_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture, command: str
) -> None:
    """Issue 17: was a FileExistsError traceback."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    extra = TINY if command == "train" else ["--no-progress"]
    for out in (afile, afile / "sub"):
        assert cli.main([command, "--out", str(out), *extra]) == 2
        captured = capsys.readouterr()
        text = captured.err + captured.out
        assert f"{afile} is a file, not a folder" in text and "Traceback" not in text
    assert afile.read_text() == "x"


@pytest.mark.parametrize("steps", ["0", "-1"])
def test_build_refuses_stages_without_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture, steps: str
) -> None:
    """Issue 17: --baseline-steps 0 or -1 packaged an untrained model silently."""
    out = tmp_path / "b"
    assert cli.main(["build", "--out", str(out), "--baseline-steps", steps, "--no-progress"]) == 2
    assert f"the baseline stage has {steps} steps; give it at least 1" in capsys.readouterr().out
    assert not out.exists()


def test_garbage_jsonl_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Issue 17: a non-UTF-8 JSONL gave "'utf-8' codec can't decode ..." and no file name."""
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(bytes(range(128, 256)) * 4 + b"\n{not json\n")
    run = tmp_path / "run"
    assert cli.main(["train", "--out", str(run), *TINY]) == 0
    capsys.readouterr()
    assert cli.main(["eval", str(run / "last.pt"), str(garbage), "--threads", "1"]) == 2
    err = capsys.readouterr().err
    assert f"skipped {garbage}: line 1: not UTF-8 text" in err
    assert f"error: {garbage} holds no labelled ink" in err
    assert (
        cli.main(
            [
                "train",
                "--out",
                str(tmp_path / "j"),
                *TINY,
                "--data",
                "jsonl",
                "--data-path",
                str(garbage),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"{garbage}: line 1: not UTF-8 text" in err and "Traceback" not in err


def test_python_dash_m_trainer_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import runpy

    monkeypatch.setattr(sys, "argv", ["trainer", "--help"])
    with pytest.raises(SystemExit) as e:
        runpy.run_module("trainer", run_name="__main__")
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "train" in out and "eval" in out
