"""Ink validation names the stroke and point at fault; JSON / JSONL round trips."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.errors import EngineError, InkError
from engine.ink import MAX_POINTS, ink_from_json, iter_jsonl, make_ink, read_jsonl, write_jsonl


@pytest.mark.parametrize(
    ("strokes", "needle"),
    [
        ([], "no strokes"),
        ("abc", "list of strokes"),
        ([[[0, 0, 0]], []], "stroke 1 is empty"),
        ([[[0, 0, 0], [1, 2]]], "stroke 0 point 1"),
        ([[[0, 0, 0]], [[1, 1, 1], [1, "x", 2]]], "stroke 1 point 1"),
        ([[[0, 0, 0], [1, True, 2]]], "stroke 0 point 1"),
        ([[[0, 0, 0], [math.nan, 1, 2]]], "stroke 0 point 1: NaN"),
        ([[[0, 0, 0]], [[0, 0, 1], [0, math.inf, 2]]], "stroke 1 point 1: NaN or infinite"),
        ([[[0, 0, 5], [1, 1, 4]]], "stroke 0 point 1: time"),
        ([[[0, 0, 5]], [[1, 1, 4]]], "stroke 1 point 0: time"),
        ([[[0, 0, 0], [2e9, 0, 1]]], "stroke 0 point 1: value out of range"),
        ([[0, 0, 0]], "stroke 0"),
        ([[[0, 0, 0], {"x": 1}]], "stroke 0 point 1"),
    ],
)
def test_bad_ink_names_stroke_and_point(strokes: object, needle: str) -> None:
    with pytest.raises(InkError, match=needle) as info:
        make_ink(strokes)
    assert isinstance(info.value, EngineError) and isinstance(info.value, ValueError)


def test_too_many_points() -> None:
    stroke = [[float(i), 0.0, float(i)] for i in range(MAX_POINTS + 1)]
    with pytest.raises(InkError, match=f"more than {MAX_POINTS}|at most {MAX_POINTS}"):
        make_ink([stroke])


def test_label_must_be_a_string() -> None:
    with pytest.raises(InkError, match="label"):
        make_ink([[[0, 0, 0]]], label=3)  # type: ignore[arg-type]


def test_dots_and_duplicates_are_valid() -> None:
    ink = make_ink([[[5, 5, 0]], [[1, 1, 10], [1, 1, 10], [1, 1, 10]]])
    assert ink.num_points == 4 and len(ink.strokes) == 2
    assert not ink.strokes[0].flags.writeable


def test_json_round_trip() -> None:
    ink = make_ink([[[0, 0.5, 0], [10.25, 3, 16]], [[4, 4, 40]]], label="中")
    back = ink_from_json(ink.to_json())
    assert back.label == "中"
    assert all(np.array_equal(a, b) for a, b in zip(ink.strokes, back.strokes, strict=True))


def test_jsonl_round_trip_and_bad_lines(tmp_path: Path) -> None:
    inks = [make_ink([[[i, i, 0], [i + 1, i + 2, 5]]], label=c) for i, c in enumerate("一二三")]
    path = tmp_path / "inks.jsonl"
    write_jsonl(path, inks)
    back = read_jsonl(path)
    assert [b.label for b in back] == ["一", "二", "三"]
    assert all(np.array_equal(a.strokes[0], b.strokes[0]) for a, b in zip(inks, back, strict=True))
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n{oops\n" + inks[0].to_json() + "\n")
    items = list(iter_jsonl(path))
    assert [n for n, _ in items] == [1, 2, 3, 5, 6]
    assert isinstance(items[3][1], InkError) and "line 5" in str(items[3][1])
    with pytest.raises(InkError, match="line 5"):
        read_jsonl(path)


@pytest.mark.parametrize("text", ["[1, 2]", '{"label": "x"}', "{", '{"strokes": 5}'])
def test_bad_json_objects(text: str) -> None:
    with pytest.raises(InkError):
        ink_from_json(text)
