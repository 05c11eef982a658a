"""The README tells a newcomer what works (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_torch_comes_from_pytorchs_cpu_index() -> None:
    for line in README.splitlines():
        if re.search(r"pip install .*torch==", line):
            assert "--index-url https://download.pytorch.org/whl/cpu" in line, line


def test_system_packages_are_listed_for_each_desktop() -> None:
    for name in ("Debian", "Fedora", "Arch", "macOS", "Windows"):
        assert f"| {name}" in README
    for package in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "fonts-noto-cjk"):
        assert package in README


def test_the_pad_promises_no_keys() -> None:
    pad = README[README.index("## The pad") : README.index("## The bundled model")]
    assert "press 1-9" not in pad and "or Ctrl+Z" not in pad
    assert "The pad takes no keys" in pad
