"""Rebuild orders.json: the Japanese (Tomoe) stroke orders of GB2312 level-1 characters.

Usage::

    python resources/tomoe/regenerate_orders.py                 # downloads the tarball
    python resources/tomoe/regenerate_orders.py --tarball tegaki-zinnia-japanese_0.3.orig.tar.gz

The same source as tomoe.npz (``regenerate.py``: Debian tegaki-zinnia-japanese 0.3-3,
handwriting-ja.xml, LGPL-2.1+). tomoe.npz keeps the characters whose Tomoe strokes follow the
Make Me a Hanzi medians in order and direction (``check_order``); this lists, for the others
that have the medians' stroke count and shape, the order in which Tomoe writes the medians'
strokes (田: the middle vertical before the middle horizontal; 右: ノ before 一; 反: its first
stroke left to right). A character is listed when, for its first Tomoe entry (file order)
that fits:

1. ``match_order``: each Tomoe stroke is assigned one median stroke, forward or (a stroke at
   least LONG_STROKE long in both) reversed, by the least total start + end distance
   (Hungarian assignment, both characters normalised to their own bounding box);
2. the Tomoe strokes put back in the median's order (and direction) pass ``check_order``:
   every start and end within 0.35 of the median's, long strokes within 60 degrees, no pair
   fitting better swapped, no short stroke fitting clearly better reversed;
3. and no Tomoe entry of the character passes ``check_order`` as it is (tomoe.npz has it:
   Tomoe writes it in the Chinese order too).

orders.json: {"version", "licence", "count", "orders": {char: {"order": median stroke index
written at each position, "reversed": median strokes written end to start}}}, characters in
code point order, one per line. Needs numpy, scipy and this checkout's trainer/.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np
from scipy.optimize import linear_sum_assignment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LICENCE = "GNU LGPL 2.1 or later (resources/tomoe/LICENSE); derived from the Tomoe dictionary"

Order = tuple[list[int], list[int]]  # (median stroke at each position, reversed median strokes)


def _tomoe() -> ModuleType:
    """resources/tomoe/regenerate.py (parsing, box normalisation, check_order)."""
    spec = importlib.util.spec_from_file_location("tomoe_regenerate", HERE / "regenerate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


R = _tomoe()


def assign_strokes(
    a: list[np.ndarray], b: list[np.ndarray], long_stroke: float
) -> tuple[np.ndarray, np.ndarray]:
    """The stroke of ``b`` each stroke of ``a`` draws (both normalised to their box, as many
    strokes), and whether it draws it end to start: cost |start - start| + |end - end|, or
    start against end for strokes at least ``long_stroke`` long in both, minimised over
    one-to-one assignments. Returns (cols (n,), flip (n, n) bool)."""
    sa, ea = np.array([s[0] for s in a]), np.array([s[-1] for s in a])
    sb, eb = np.array([s[0] for s in b]), np.array([s[-1] for s in b])

    def dist(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.linalg.norm(p[:, None] - q[None], axis=2)

    fwd, rev = dist(sa, sb) + dist(ea, eb), dist(sa, eb) + dist(ea, sb)
    la, lb = np.linalg.norm(ea - sa, axis=1), np.linalg.norm(eb - sb, axis=1)
    flip = (la[:, None] >= long_stroke) & (lb[None] >= long_stroke) & (rev < fwd)
    _, cols = linear_sum_assignment(np.where(flip, rev, fwd))
    return cols, flip


def match_order(tomoe: list[np.ndarray], median: list[np.ndarray]) -> Order | None:
    """The median stroke each Tomoe stroke draws, and which it draws end to start.

    Both characters normalised to their bounding box (``_unit_box``); Tomoe stroke p is
    assigned median stroke j at cost |start_p - start_j| + |end_p - end_j| (reversed: start
    against end; only for strokes at least LONG_STROKE long in both, whose direction is
    meaningful), minimised over one-to-one assignments. Returns None when the stroke counts
    differ or the strokes put back in the median's order fail ``check_order``.
    """
    n = len(tomoe)
    if n != len(median) or n == 0:
        return None
    a = R._unit_box([np.asarray(s, np.float64) for s in tomoe])
    b = R._unit_box([np.asarray(s, np.float64) for s in median])
    cols, flip = assign_strokes(a, b, R.LONG_STROKE)
    order = [int(j) for j in cols]
    back = [bool(flip[p, j]) for p, j in enumerate(order)]
    put_back: list[np.ndarray] = [np.empty((0, 2))] * n
    for p, j in enumerate(order):
        put_back[j] = tomoe[p][::-1] if back[p] else tomoe[p]
    if not R.check_order(put_back, median)[0]:
        return None
    return order, sorted(j for j, r in zip(order, back, strict=True) if r)


def derive(
    entries: dict[str, list[list[np.ndarray]]], charset: str, medians
) -> tuple[dict[str, Order], dict[str, int]]:
    """{char: its Japanese order} for the characters of charset (rules in the docstring),
    and counts: with data, kept as they are (tomoe.npz), with another order, reversing."""
    chosen, _ = R.select(entries, charset, medians)
    out: dict[str, Order] = {}
    for c in sorted(set(charset)):
        if c not in entries or c not in medians or c in chosen:
            continue
        med = [np.asarray(s, np.float64) for s in medians.strokes(c)]
        for e in entries[c]:
            m = match_order(e, med)
            if m is not None:
                if m[0] != list(range(len(med))) or m[1]:
                    out[c] = m
                break
    stats = {
        "with_data": sum(1 for c in set(charset) if c in entries and c in medians),
        "same_order": len(chosen),
        "other_order": len(out),
        "reversing": sum(1 for _, r in out.values() if r),
    }
    return out, stats


def dumps(orders: dict[str, Order]) -> str:
    """orders.json's text: one character per line, in code point order."""
    rows = [
        f"    {json.dumps(c, ensure_ascii=False)}: "
        f'{{"order": {json.dumps(o)}, "reversed": {json.dumps(r)}}}'
        for c, (o, r) in sorted(orders.items())
    ]
    head = {"version": R.VERSION, "licence": LICENCE, "count": len(orders)}
    lines = [f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    return (
        "{\n"
        + "\n".join(lines)
        + '\n    "orders": {\n'
        + ",\n".join("    " + r for r in rows)
        + "\n    }\n}\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tarball", type=Path, help=f"use this {R.TARBALL} instead of downloading")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "orders.json")
    res = ROOT / "resources"
    ap.add_argument("--medians", type=Path, default=res / "templates" / "medians.npz")
    ap.add_argument("--charset", type=Path, default=res / "charsets" / "gb2312_level1.txt")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from trainer.data.templates import Templates

    with tempfile.TemporaryDirectory() as tmp:
        tgz = args.tarball or R.download(Path(tmp))
        R.verify(tgz)
        with tarfile.open(tgz, "r:gz") as tar:
            xml = R._member(tar, R.XML_NAME)
    entries = R.parse_xml(xml)
    charset = "".join(args.charset.read_text(encoding="utf-8").split())
    orders, st = derive(entries, charset, Templates(args.medians))
    args.output.write_text(dumps(orders), encoding="utf-8")
    print(
        f"level 1 with Tomoe data: {st['with_data']}; in the medians' order: {st['same_order']}; "
        f"in another order (or direction): {st['other_order']}, {st['reversing']} reversing "
        f"a stroke -> {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
