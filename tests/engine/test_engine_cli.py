"""``python -m engine`` through main([...]): output lines, bad lines, stdin, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from tests.support.engine_fixtures import CHARSET, build_package, sample_ink


def ink_file(tmp_path: Path, extra: list[str] | None = None) -> Path:
    lines = [sample_ink(0, label="中").to_json(), sample_ink(1, label="日").to_json()]
    lines[1:1] = extra or []
    path = tmp_path / "inks.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_recognize_writes_one_line_per_ink(
    tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["recognize", str(ink_file(tmp_path)), "--model", str(tiny_package), "-n", "3"]
    assert main(argv) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 2
    for row in out:
        chars = [c for c, _ in row["candidates"]]
        probs = [p for _, p in row["candidates"]]
        assert len(chars) == 3 and set(chars) <= set(CHARSET)
        assert probs == sorted(probs, reverse=True)
        assert all(round(p, 4) == p for p in probs)


def test_bad_lines_get_an_error_and_the_run_goes_on(
    tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ink_file(tmp_path, ["{not json", '{"strokes": [[[0, 0, 5], [1, 1, 2]]]}'])
    assert main(["recognize", str(path), "--model", str(tiny_package)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [sorted(r) for r in out] == [["candidates"], ["error"], ["error"], ["candidates"]]
    assert out[1]["error"].startswith("line 2: not valid JSON")
    assert out[2]["error"].startswith("line 3: stroke 0 point 1")


def test_dash_reads_stdin(
    tiny_package: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = ink_file(tmp_path).read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main(["recognize", "-", "--model", str(tiny_package), "-n", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_eval_prints_accuracy_and_latency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ten = tmp_path / "ten.xiezi"
    build_package(ten, charset=CHARSET[:10])  # 10 classes: top-10 holds every label
    path = ink_file(tmp_path)
    assert main(["eval", str(path), "--model", str(ten), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["inks"] == 2 and r["labelled"] == 2 and r["errors"] == []
    assert r["top10"] == 1.0 and r["top1"] in (0.0, 0.5, 1.0)
    assert 0 < r["latency_median_ms"] <= r["latency_p95_ms"]
    assert main(["eval", str(path), "--model", str(ten)]) == 0
    text = capsys.readouterr().out
    assert "top-1:" in text and "top-10: 1.0000" in text and "median" in text


@pytest.mark.parametrize("which", ["ink", "model"])
def test_missing_files_exit_2_with_one_message(
    tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str
) -> None:
    ink = tmp_path / "absent.jsonl" if which == "ink" else ink_file(tmp_path)
    model = tmp_path / "absent.xiezi" if which == "model" else tiny_package
    for cmd in ("recognize", "eval"):
        assert main([cmd, str(ink), "--model", str(model)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "absent" in err and "Traceback" not in err


def test_bad_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xiezi"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert main(["recognize", str(ink_file(tmp_path)), "--model", str(bad)]) == 2
    assert "not a zip" in capsys.readouterr().err


def test_not_utf8_is_an_error_of_its_line(
    tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"strokes": [[[0, 0, 0]]], "label": "\xe9"}\n')
    assert main(["recognize", str(path), "--model", str(tiny_package)]) == 1
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["error"].startswith("line 1: not UTF-8 text") and "0xe9 at byte 38" in row["error"]


def test_bad_n(tiny_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["recognize", str(ink_file(tmp_path)), "--model", str(tiny_package), "-n", "0"]
    assert main(argv) == 2
    assert "-n" in capsys.readouterr().err


def test_python_dash_m_engine(tiny_package: Path, tmp_path: Path) -> None:
    path = ink_file(tmp_path, ["[]"])
    done = subprocess.run(
        [sys.executable, "-m", "engine", "recognize", str(path), "--model", str(tiny_package)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and len(done.stdout.splitlines()) == 3
    assert done.stderr == ""
