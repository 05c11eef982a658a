"""bench/references.py: the reference recognizers read ink the way Xiezi's JSON gives it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import references

from engine.ink import read_jsonl

REAL_WO = ROOT / "tests" / "real_ink" / "dinkit-wo.jsonl"


def test_to_box_keeps_aspect_and_fits_the_box() -> None:
    # 200 wide, 50 high, offset and negative: the long side spans size - 2 margin, centred.
    strokes = [[[-100.0, 10.0, 0.0], [100.0, 10.0, 5.0]], [[0.0, 60.0, 9.0]]]
    box = references.to_box(strokes, size=1000, margin=50)
    assert box == [[(50, 388), (950, 388)], [(500, 612)]]
    flat = [v for s in box for p in s for v in p]
    assert all(isinstance(v, int) and 0 <= v <= 1000 for v in flat)


def test_to_box_centres_a_single_point_and_rejects_empty_ink() -> None:
    assert references.to_box([[[3.0, 4.0, 0.0]]], size=100, margin=10) == [[(50, 50)]]
    with pytest.raises(ValueError, match="at least one point"):
        references.to_box([], size=100)


def test_load_names_what_is_missing_and_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown reference 'tegaki'"):
        references.load(["tegaki"])
    refs, missing = references.load(list(references.KINDS))
    assert len(refs) + len(missing) == len(references.KINDS)
    for line in missing:
        assert "install" in line


@pytest.mark.parametrize("name", sorted(references.KINDS))
def test_reference_reads_the_real_sample(name: str) -> None:
    try:
        ref = references.KINDS[name]()
    except references.ReferenceUnavailable as e:
        pytest.skip(str(e))
    (ink,) = read_jsonl(REAL_WO)
    best = [c.char for c in ref.recognize(ink, 10)]
    assert 1 <= len(best) <= 10
    assert best[0] == "我"


def test_eval_references_scores_every_engine_on_every_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("torch")
    import json

    import eval_references

    rc = eval_references.main(
        [
            "--per-style",
            "2",
            "--references",
            "",
            "--json",
            "--jsonl",
            str(REAL_WO),
            "--out",
            str(ROOT / "build" / "ref-test"),
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["set"]: r for r in out["rows"]}
    assert (
        len(rows)
        == len(eval_references.eval_model.STYLES) + len(eval_references.eval_model.STRESS) + 2
    )
    assert rows["real: dinkit-wo.jsonl"]["xiezi"] == [1.0, 1.0]
    assert all(r["inks"] == 2 for name, r in rows.items() if name.startswith("synthetic"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jsonl", "/nonexistent/real.jsonl"], "no such file"),
        (["--references", "tegaki"], "unknown reference 'tegaki'"),
        (["--per-style", "0"], "at least 1"),
    ],
)
def test_eval_references_names_bad_arguments(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import eval_references

    with pytest.raises(SystemExit) as e:
        eval_references.main(args)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_eval_references_rejects_a_file_without_labelled_ink(tmp_path: Path) -> None:
    import eval_references

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"strokes": []}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="no labelled ink .1 bad lines.; first: line 1"):
        eval_references.score(bad, {})
