"""``python -m engine eval --learn`` and ``--memory``: a simulated user, its memory (issue 28)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine.cli import main
from engine.recognizer import Recognizer
from tests.engine.test_memory_recognizer import bundled  # noqa: F401 - the fixture
from tests.support.engine_fixtures import sample_ink


@pytest.fixture()
def user_file(tmp_path: Path, bundled: Recognizer) -> tuple[Path, list[str]]:  # noqa: F811
    """Four inks, each labelled with its 7th candidate (a miss), written twice: A B C D A B C D."""
    inks = [sample_ink(seed) for seed in (0, 11, 22, 33)]
    labels = [bundled.recognize(ink, 10)[6].char for ink in inks]
    lines = [
        sample_ink(s, label=lab).to_json() for s, lab in zip((0, 11, 22, 33), labels, strict=True)
    ]
    path = tmp_path / "user.jsonl"
    path.write_text("\n".join(lines + lines) + "\n", encoding="utf-8")
    return path, labels


def test_eval_learn_prints_both_lines_and_learns_the_misses(
    user_file: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = user_file
    assert main(["eval", "--learn", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "all: top-1 50.0% top-10 100.0%" in out
    assert "second half: top-1 100.0% top-10 100.0%" in out
    assert any(line.startswith("without learning: top-1 0.0%") for line in out)
    assert any("4 corrections" in line for line in out)


def test_eval_learn_json(
    user_file: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = user_file
    assert main(["eval", "--learn", "--json", "--no-baseline", str(path)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["labelled"] == 8 and r["second_top1"] == 1.0 and r["corrections"] == 4
    assert "without_learning" not in r


def test_a_saved_memory_is_used_by_recognize_and_eval(
    user_file: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, labels = user_file
    mem = tmp_path / "memory.npz"
    assert main(["eval", "--learn", "--no-baseline", str(path), "--memory-out", str(mem)]) == 0
    assert mem.is_file() and f"memory saved to {mem}" in capsys.readouterr().out
    assert main(["recognize", str(path), "--memory", str(mem), "-n", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    firsts = [json.loads(line)["candidates"][0][0] for line in lines]
    assert firsts == labels + labels
    assert main(["eval", str(path), "--memory", str(mem), "--no-baseline"]) == 2  # --learn only
    capsys.readouterr()
    assert main(["eval", str(path), "--memory", str(mem)]) == 0  # read with it, not learning
    out = capsys.readouterr().out
    assert "all: top-1 100.0%" in out and "not learning: 0 corrections" in out


def test_a_missing_or_damaged_memory_is_one_line_and_exit_2(
    user_file: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = user_file
    assert main(["recognize", str(path), "--memory", str(tmp_path / "none.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "none.npz" in err[0]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert main(["eval", "--learn", str(path), "--memory", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a readable memory file" in err[0]
    assert bad.read_bytes() == b"PK\x03\x04 not really"  # the CLI leaves a user's file alone


def test_a_model_without_embeddings_cannot_learn(
    tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "i.jsonl"
    path.write_text(sample_ink(0, label="中").to_json() + "\n", encoding="utf-8")
    assert main(["eval", "--learn", str(path), "--model", str(tiny_package)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no embedding output" in err[0]


def test_learning_writes_nothing_but_the_memory_file(
    user_file: tuple[Path, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _ = user_file
    home = tmp_path / "home"
    home.mkdir()
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home))
    monkeypatch.chdir(tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    assert main(["eval", "--learn", str(path), "--memory-out", "memory.npz"]) == 0
    capsys.readouterr()
    assert {p for p in tmp_path.rglob("*")} - before == {tmp_path / "memory.npz"}
    assert os.listdir(home) == []


def test_memory_out_without_learn_is_refused(
    user_file: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = user_file
    assert main(["eval", str(path), "--memory-out", "x.npz"]) == 2
    assert re.search("go with --learn", capsys.readouterr().err)


def test_an_unwritable_memory_out_is_one_line_and_exit_2(
    user_file: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = user_file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "memory.npz"  # a folder that is a file
    assert main(["eval", "--learn", "--no-baseline", str(path), "--memory-out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot write {out}")
