"""How many real inks the Japanese (Tomoe) stroke orders of resources/tomoe/orders.json explain.

    python bench/eval_japanese_orders.py [../shared/realdata/tegaki-lab/japanese-writers-gb1.jsonl]

Each ink with the medians' stroke count is matched to the median strokes by position (the
Hungarian assignment of ``resources/tomoe/regenerate_orders.py``: start + end distances in
each one's bounding box, long strokes forward or reversed) and counted as written in the
standard order, in the listed Japanese order, or another. Evaluation only: the real ink is
read in place, never trained on or copied.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np

from trainer.data.synth.order import japanese_orders
from trainer.data.templates import load_templates
from trainer.yardsticks import shared_folder

LONG = 0.15  # strokes at least this long (bbox units) in both have a direction


def _unit(strokes: list[np.ndarray]) -> list[np.ndarray]:
    p = np.concatenate(strokes)
    lo, hi = p.min(0), p.max(0)
    return [(s - (lo + hi) / 2) / max(float((hi - lo).max()), 1e-6) for s in strokes]


def written_order(ink: list[np.ndarray], median: list[np.ndarray]) -> tuple[tuple, tuple]:
    """(median stroke at each position, reversed median strokes) of an ink of as many strokes."""
    cols, flip = _orders().assign_strokes(_unit(ink), _unit(median), LONG)
    return tuple(int(j) for j in cols), tuple(
        sorted(int(j) for p, j in enumerate(cols) if flip[p, j])
    )


def _orders() -> ModuleType:
    """resources/tomoe/regenerate_orders.py (its stroke assignment), loaded once."""
    global _ORDERS
    if _ORDERS is None:
        path = Path(__file__).resolve().parents[1] / "resources" / "tomoe" / "regenerate_orders.py"
        spec = importlib.util.spec_from_file_location("tomoe_regenerate_orders", path)
        assert spec is not None and spec.loader is not None
        _ORDERS = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_ORDERS)
    return _ORDERS


_ORDERS: ModuleType | None = None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = shared_folder() / "realdata" / "tegaki-lab" / "japanese-writers-gb1.jsonl"
    p.add_argument("path", type=Path, nargs="?", default=default)
    args = p.parse_args(argv)
    if not args.path.is_file():
        print(f"no real ink at {args.path}", file=sys.stderr)
        return 1
    med, table = load_templates(), japanese_orders()
    rows: dict[str, Counter] = {}
    seen: dict[str, Counter] = {}  # the other orders written
    with open(args.path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            c = rec["label"]
            if c not in table or c not in med:
                continue
            ink = [np.asarray(s, np.float64)[:, :2] for s in rec["strokes"]]
            m = [np.asarray(s, np.float64) for s in med.strokes(c)]
            row = rows.setdefault(c, Counter())
            if len(ink) != len(m):
                row["other count"] += 1
                continue
            order, back = written_order(ink, m)
            jp_order, jp_flags = table[c]
            jp_back = tuple(sorted(j for j, r in zip(jp_order, jp_flags, strict=True) if r))
            if order == tuple(range(len(m))) and not back:
                row["standard"] += 1
            elif order == jp_order and back == jp_back:
                row["japanese"] += 1
            elif order == jp_order:
                row["japanese order"] += 1
            else:
                row["other"] += 1
                seen.setdefault(c, Counter())[(order, back)] += 1
    cols = ("standard", "japanese", "japanese order", "other", "other count")
    total: Counter = Counter()
    print("char  " + "  ".join(cols) + "   (japanese: order and directions as orders.json)")
    for c, row in [*rows.items(), ("all", total)]:
        if c != "all":
            total.update(row)
        print(f"{c:4s}  " + "  ".join(f"{row[k]:{len(k)}d}" for k in cols))
    for c, other in seen.items():
        print(f"{c} other: " + ", ".join(f"{o} rev {b} x{n}" for (o, b), n in other.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
