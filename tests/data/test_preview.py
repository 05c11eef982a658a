"""The preview contact sheet and its ``trainer preview`` subcommand."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from PIL import Image

from trainer.data.cli import register
from trainer.data.preview import PreviewConfig, render_preview


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="trainer")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_sheet_has_one_row_per_char_and_a_column_per_writer(tmp_path: Path) -> None:
    out = render_preview(
        PreviewConfig(chars="一中", writers=2, cell_inches=1.0, dpi=40), tmp_path / "s.png"
    )
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (3 * 40, 2 * 40)
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 20  # strokes drawn, not a blank page


def test_cli_writes_the_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "p.png"
    assert _run(["preview", "--chars", "丨", "--writers", "1", "-o", str(out)]) == 0
    assert out.stat().st_size > 1000 and "wrote" in capsys.readouterr().out


def test_cli_reports_bad_input_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["preview", "--chars", "永A", "-o", str(tmp_path / "x.png")]) == 2
    assert "U+0041" in capsys.readouterr().out
    assert _run(["preview", "--writers", "0", "-o", str(tmp_path / "x.png")]) == 2
    assert "writers must be in 1..50" in capsys.readouterr().out
    assert not (tmp_path / "x.png").exists()
