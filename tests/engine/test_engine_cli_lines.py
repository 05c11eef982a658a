"""Issue 17 item 1: every input line of ``recognize`` gets one answer, in order, in bounded
memory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from contextlib import redirect_stdout, suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.errors import InkError
from engine.ink import ink_from_json, make_ink
from engine.lines import MAX_LINE_BYTES
from tests.support.engine_fixtures import sample_ink

GOOD = sample_ink(0).to_json().encode()


@st.composite
def lines(draw: Any) -> bytes:
    kind = draw(st.sampled_from(["ink", "junk", "deep", "bigint", "bytes", "blank", "cr"]))
    if kind == "ink":
        ink = sample_ink(draw(st.integers(0, 50)), points=draw(st.integers(1, 8)))
        return ink.to_json().encode()
    if kind == "junk":
        return draw(st.text(max_size=30)).replace("\n", " ").encode("utf-8", "surrogatepass")
    if kind == "deep":
        d = draw(st.sampled_from([3, 33, 999, 1000, 3000]))
        return b'{"strokes": ' + b"[" * d + b"]" * d + b"}"
    if kind == "bigint":
        d = draw(st.sampled_from([17, 308, 309, 4300, 4301]))
        return b'{"strokes": [[[1' + b"0" * d + b", 0, 0]]]}"
    if kind == "bytes":
        return GOOD[:-1] + b', "x": "' + draw(st.binary(max_size=8)).replace(b"\n", b"") + b'\xff"}'
    if kind == "blank":
        return draw(st.sampled_from([b"", b" ", b"\r"]))
    return GOOD + b"\r"


def answers(args: list[str], stdin: bytes | None = None) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with redirect_stdout(out):
            rc = main(args)
    finally:
        sys.stdin = saved
    return rc, [json.loads(row) for row in out.getvalue().splitlines()]


def expected_lines(data: bytes) -> int:
    parts = data.split(b"\n")
    return len(parts) - (parts[-1] == b"")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(lines(), min_size=1, max_size=8), st.booleans(), st.booleans())
def test_every_line_gets_one_answer_in_order_file_and_stdin_alike(
    tiny_package: Path,
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[bytes],
    bom: bool,
    newline: bool,
) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(rows) + (b"\n" if newline else b"")
    path = tmp_path_factory.mktemp("fuzz") / "inks.jsonl"
    path.write_bytes(data)
    rc, out = answers(["recognize", str(path), "--model", str(tiny_package), "-n", "2"])
    assert rc in (0, 1) and len(out) == expected_lines(data)
    for i, row in enumerate(out, start=1):
        assert ("candidates" in row) != ("error" in row)
        assert "error" not in row or row["error"].startswith(f"line {i}: ")
    assert answers(["recognize", "-", "--model", str(tiny_package), "-n", "2"], data) == (rc, out)


def test_bad_lines_name_their_reason_and_the_rest_is_answered(
    tiny_package: Path, tmp_path: Path
) -> None:
    bad = [
        b'{"strokes": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"strokes": [[[1' + b"0" * 309 + b", 0, 0]]]}",
        b'{"strokes": [[[1' + b"0" * 5000 + b", 0, 0]]]}",
        GOOD[:20] + b"\xff" + GOOD[20:],
        b"",
    ]
    data = b"\xef\xbb\xbf" + b"\n".join([GOOD, *bad, GOOD]) + b"\n"
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    rc, out = answers(["recognize", str(path), "--model", str(tiny_package)])
    assert rc == 1 and len(out) == 7
    assert "candidates" in out[0] and "candidates" in out[6]  # the BOM is not an error
    assert out[1]["error"] == "line 2: JSON nested 1001 levels deep; at most 32 are allowed"
    assert out[2]["error"] == (
        "line 3: stroke 0 point 0: the number 100000000000...(310 "
        "characters) is out of range (|v| > 1e9)"
    )
    assert out[3]["error"].startswith("line 4: stroke 0 point 0: the number 100000000000")
    assert out[4]["error"] == (
        "line 5: not UTF-8 text (invalid start byte: byte 0xff at byte 21 of the line)"
    )
    assert out[5]["error"] == "line 6: blank line, no ink"


def test_a_long_line_is_refused_and_the_next_one_read(tiny_package: Path, tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("wb") as f:
        f.write(b'{"strokes": [' + b"[[1, 2, 3]]," * (MAX_LINE_BYTES // 10) + b"[[1, 2, 3]]]}\n")
        f.write(GOOD + b"\n")
    rc, out = answers(["recognize", str(path), "--model", str(tiny_package)])
    assert rc == 1 and out[0]["error"].startswith(f"line 1: longer than {MAX_LINE_BYTES} bytes")
    assert "candidates" in out[1] and len(out) == 2


def test_dev_zero_is_read_in_bounded_memory(tiny_package: Path) -> None:
    """An endless line on standard input: its error comes at once, and reading on stays
    under 200 MB (as a path, /dev/zero is refused: tests/engine/test_engine_input_files.py)."""
    cap = 2 << 30
    code = (
        f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))\n"
        "import runpy, sys; sys.argv = ['engine', *sys.argv[1:]]\n"
        "runpy.run_module('engine', run_name='__main__', alter_sys=True)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "recognize", "-", "--model", str(tiny_package)],
            stdin=zero,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["error"].startswith("line 1: longer than")
        time.sleep(1.0)  # it keeps skipping the rest of the line
        assert proc.poll() is None
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kb = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
        assert rss_kb < 200_000
    finally:
        proc.kill()
        proc.wait(10)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=60),
        st.text(max_size=60),
        st.recursive(
            st.none() | st.integers() | st.floats() | st.text(max_size=3),
            lambda c: st.lists(c, max_size=4),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_ink_from_json_raises_only_ink_errors(text: str | bytes) -> None:
    wrapped = text if isinstance(text, bytes) else '{"strokes": ' + text + "}"
    for t in (text, wrapped):
        with suppress(InkError):
            ink_from_json(t)


@pytest.mark.parametrize(
    "value",
    [10**400, 10**5000, float("nan"), "1", None, [1, 2, 3]],
    ids=["int400", "int5000", "nan", "str", "none", "list"],
)
def test_make_ink_raises_only_ink_errors(value: object) -> None:
    with pytest.raises(InkError, match="stroke 0"):
        make_ink([[[value, 0, 0]]])
