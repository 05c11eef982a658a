"""Rebuild gb2312_level1.txt: the 3755 GB2312 level-1 hanzi in GB2312 code order.

Derived from the GB2312 standard code table through Python's ``gb2312`` codec: level 1 is
rows 0xB0..0xD7 (zones 16-55), cells 0xA1..0xFE, minus the five unassigned cells
0xD7FA..0xD7FE. Usage: ``python resources/charsets/regenerate.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def gb2312_level1() -> str:
    chars = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            if row == 0xD7 and cell >= 0xFA:
                continue
            chars.append(bytes([row, cell]).decode("gb2312"))
    return "".join(chars)


def main() -> int:
    chars = gb2312_level1()
    assert len(chars) == 3755 and len(set(chars)) == 3755, len(chars)
    (HERE / "gb2312_level1.txt").write_text(chars + "\n", encoding="utf-8")
    print(f"gb2312_level1.txt: {len(chars)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
