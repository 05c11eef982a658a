"""The house rules the code review set (issue 27): short functions outside tests, and one
formatter for the whole tree. ``.ci/run`` runs ruff check, ruff format --check and mypy too;
these tests keep the rules visible where a contributor runs pytest alone."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The longest function allowed outside tests/, in lines from ``def`` to its last line.
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    """Every tracked-looking .py file of the project outside tests/ and hidden folders."""
    skip = {".venv", "tests", ".git", "runs"}
    return [
        p
        for p in ROOT.rglob("*.py")
        if not (set(p.relative_to(ROOT).parts[:-1]) & skip)
        and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
    ]


def long_functions(
    paths: list[Path], root: Path = ROOT, limit: int = MAX_FUNCTION_LINES
) -> list[str]:
    """``path:line name (N lines)`` for each function longer than ``limit`` lines."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append(
                        f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)"
                    )
    return found


def test_no_function_outside_tests_is_over_80_lines() -> None:
    sources = _sources()
    assert len(sources) > 100, "the walk found too few sources: is ROOT right?"
    assert long_functions(sources) == []


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    long = tmp_path / "long.py"
    long.write_text(f"def too_long():\n{body}\n", encoding="utf-8")
    assert long_functions([long], root=tmp_path) == ["long.py:1 too_long (81 lines)"]


def test_the_tree_is_formatted_by_ruff() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (the test extra has it)")
    done = subprocess.run(
        [ruff, "format", "--check", "--quiet", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, "run `ruff format .`:\n" + done.stdout + done.stderr
