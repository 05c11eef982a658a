"""Rebuild tomoe.npz from Tomoe's hand-drawn key-point templates (Debian tegaki-zinnia-japanese).

Usage::

    python resources/tomoe/regenerate.py                 # downloads the tarball from Debian
    python resources/tomoe/regenerate.py --tarball tegaki-zinnia-japanese_0.3.orig.tar.gz

The source tarball (Debian source package tegaki-zinnia-japanese 0.3-3, LGPL-2.1+) holds
handwriting-ja.xml: the Tomoe handwriting dictionary, one ``<character>`` per entry with its
strokes as sparse key points (corners) in a 1000 box, x right, y DOWN. Some characters have
more than one entry (variants); they are tried in file order.

Kept: characters of GB2312 level 1 (resources/charsets/gb2312_level1.txt) whose Tomoe
strokes correspond one to one, in order and direction, to the Make Me a Hanzi medians
(resources/templates/medians.npz), see ``check_order``. Japanese stroke order differs for
some characters (必, 右, 王, 田, 耳 ...): those are rejected, never reordered.

Tomoe's box is mapped onto the medians' em box by one affine map per axis (scale and shift),
fitted so that the median bounding box centre and size of the shared characters agree.

tomoe.npz (no pickle) has exactly the layout of resources/templates/medians.npz, so
``trainer.data.templates.Templates`` reads it unchanged. For C characters, S strokes, P points:
    codepoints     uint32 (C,)    sorted by code point
    stroke_offsets int32 (C+1,)   strokes of char c are stroke_offsets[c]:stroke_offsets[c+1]
    point_offsets  int32 (S+1,)   points of stroke s are point_offsets[s]:point_offsets[s+1]
    points         int16 (P, 2)   x, y_down in the 1024 em box (medians' units, y in [-124, 900])
    version        str            where it came from
Every stroke has at least 2 points (a 1-point stroke is doubled); the few key points that the
box map puts outside the em box (stroke tips drawn to Tomoe's edge) are clipped to [0, 1024].
Needs numpy and the standard library (and this checkout's trainer/ for the medians).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PACKAGE = "tegaki-zinnia-japanese"
DEB_VERSION = "0.3-3"
TARBALL = "tegaki-zinnia-japanese_0.3.orig.tar.gz"
URL = f"http://deb.debian.org/debian/pool/main/t/{PACKAGE}/{TARBALL}"
# From bookworm's Sources (Checksums-Sha256 of the .orig.tar.gz).
SIZE = 18077349
SHA256 = "d177614a5229cffb0b231a48201be67f9e1968884c0ad18895686d803f79ea23"
XML_NAME = "handwriting-ja.xml"
VERSION = f"{PACKAGE} {DEB_VERSION} ({TARBALL}, {XML_NAME}, Tomoe dictionary)"

EM = 1024.0  # medians' em box side (trainer.data.templates.EM)
TOMOE_BOX = 1000.0

# Order/direction check (coordinates: each character's bounding box scaled so that its
# longer side is 1, centred at 0; see check_order).
MAX_ENDPOINT_DIST = 0.35  # start/end of a stroke vs the median's same stroke
LONG_STROKE = 0.15  # strokes at least this long (in both sources) must point the same way
MIN_COS = 0.5  # ... within 60 degrees
SHORT_REVERSE_MARGIN = 0.05  # short strokes: reversed fit may not beat forward by more


def download(dest: Path) -> Path:
    """Fetch the source tarball from deb.debian.org into dest."""
    out = dest / TARBALL
    print(f"downloading {URL}", file=sys.stderr)
    with urllib.request.urlopen(URL, timeout=120) as r, out.open("wb") as f:
        shutil.copyfileobj(r, f)
    return out


def verify(tgz: Path) -> None:
    """Raise SystemExit unless tgz has the size and sha256 from Debian's Sources."""
    size = tgz.stat().st_size
    h = hashlib.sha256(tgz.read_bytes()).hexdigest()
    if size != SIZE or h != SHA256:
        raise SystemExit(f"{tgz}: size {size} sha256 {h}; expected {SIZE} {SHA256}")


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    for m in tar.getmembers():
        if m.isfile() and Path(m.name).name == name:
            f = tar.extractfile(m)
            assert f is not None
            return f.read()
    raise SystemExit(f"{name} not in the tarball")


def parse_xml(data: bytes) -> dict[str, list[list[np.ndarray]]]:
    """Character -> its entries (variants, file order), each a list of (k, 2) key-point arrays
    (x, y down, 1000 box)."""
    out: dict[str, list[list[np.ndarray]]] = {}
    root = ET.parse(io.BytesIO(data)).getroot()
    for ch in root.iter("character"):
        u = ch.findtext("utf8") or ""
        strokes = [
            np.array(
                [(float(p.get("x")), float(p.get("y"))) for p in s.iter("point")],
                dtype=np.float64,
            )
            for s in ch.iter("stroke")
        ]
        if len(u) != 1 or not strokes or any(len(s) == 0 for s in strokes):
            continue
        out.setdefault(u, []).append(strokes)
    return out


def _bbox(strokes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    p = np.concatenate(strokes)
    lo, hi = p.min(0), p.max(0)
    return (lo + hi) / 2, hi - lo


def fit_box_map(
    pairs: list[tuple[list[np.ndarray], list[np.ndarray]]],
) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis scale and shift taking Tomoe units (1000 box) to the medians' unit em box.

    pairs: (tomoe strokes, median strokes in the unit box) of the same characters. Scale: the
    median, over characters at least 0.3 wide/high in both, of the ratio of bbox sizes; shift:
    the median of (median centre - scale * tomoe centre).
    """
    ct, st, cm, sm = [], [], [], []
    for t, m in pairs:
        a, b = _bbox([s / TOMOE_BOX for s in t])
        c, d = _bbox(m)
        ct.append(a), st.append(b), cm.append(c), sm.append(d)
    ct, st, cm, sm = map(np.asarray, (ct, st, cm, sm))
    ok = (st > 0.3).all(1) & (sm > 0.3).all(1)
    scale = np.median(sm[ok] / st[ok], axis=0)
    shift = np.median(cm - scale * ct, axis=0)
    return scale / TOMOE_BOX, shift


def _unit_box(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Centre the character's bounding box at 0 and scale its longer side to 1."""
    c, s = _bbox(strokes)
    k = max(float(s.max()), 1e-6)
    return [(q - c) / k for q in strokes]


def check_order(tomoe: list[np.ndarray], median: list[np.ndarray]) -> tuple[bool, str, float]:
    """Whether Tomoe strokes correspond to the median strokes one to one, in order and direction.

    Both characters are normalised to their own bounding box (``_unit_box``). Rejected when:
    the stroke counts differ; a stroke's start or end is further than MAX_ENDPOINT_DIST from
    the median's same stroke; a long stroke points more than 60 degrees away from the
    median's (reversed or a different stroke); a short stroke fits the median clearly better
    reversed; or swapping two strokes i, j fits the medians better than the given order
    (cost: start + end distances), which catches order differences between similar strokes.

    Returns:
        (ok, reason, largest start/end distance).
    """
    n = len(tomoe)
    if n != len(median):
        return False, f"stroke count {n} != {len(median)}", float("inf")
    a = _unit_box([np.asarray(s, np.float64) for s in tomoe])
    b = _unit_box([np.asarray(s, np.float64) for s in median])
    sa, ea = np.array([s[0] for s in a]), np.array([s[-1] for s in a])
    sb, eb = np.array([s[0] for s in b]), np.array([s[-1] for s in b])
    ds = np.linalg.norm(sa - sb, axis=1)
    de = np.linalg.norm(ea - eb, axis=1)
    worst = float(max(ds.max(), de.max()))
    va, vb = ea - sa, eb - sb
    la, lb = np.linalg.norm(va, axis=1), np.linalg.norm(vb, axis=1)
    for i in range(n):
        if la[i] >= LONG_STROKE and lb[i] >= LONG_STROKE:
            cos = float(va[i] @ vb[i] / (la[i] * lb[i]))
            if cos < MIN_COS:
                return False, f"stroke {i + 1} direction differs (cos {cos:.2f})", worst
        else:
            rev = np.linalg.norm(sa[i] - eb[i]) + np.linalg.norm(ea[i] - sb[i])
            if rev + SHORT_REVERSE_MARGIN < ds[i] + de[i]:
                return False, f"stroke {i + 1} reversed", worst
    # cost[i, j]: Tomoe stroke i drawn where median stroke j is
    cost = np.linalg.norm(sa[:, None] - sb[None], axis=2) + np.linalg.norm(
        ea[:, None] - eb[None], axis=2
    )
    d = np.diag(cost)
    swap = d[:, None] + d[None, :] - cost - cost.T  # > 0: swapping i and j fits better
    np.fill_diagonal(swap, -1.0)
    if (swap > 0).any():
        i, j = np.unravel_index(int(np.argmax(swap)), swap.shape)
        return False, f"strokes {min(i, j) + 1} and {max(i, j) + 1} in the other order", worst
    if worst > MAX_ENDPOINT_DIST:
        return False, f"start/end {worst:.2f} from the median's", worst
    return True, "ok", worst


def to_em(strokes: list[np.ndarray], scale: np.ndarray, shift: np.ndarray) -> list[np.ndarray]:
    """Tomoe strokes (1000 box) -> the medians' unit em box (y down)."""
    return [s * scale + shift for s in strokes]


def select(entries: dict[str, list[list[np.ndarray]]], charset: str, medians) -> tuple[dict, dict]:
    """Pick, per character of charset, the first Tomoe entry that passes check_order.

    Returns:
        ({char: strokes in the unit em box}, statistics incl. the box map and rejections).
    """
    shared = [c for c in charset if c in entries and c in medians]
    pairs = [
        (entries[c][0], [np.asarray(s, np.float64) for s in medians.strokes(c)])
        for c in shared
        if len(entries[c][0]) == len(medians.strokes(c))
    ]
    scale, shift = fit_box_map(pairs)
    chosen: dict[str, list[np.ndarray]] = {}
    reasons: dict[str, str] = {}
    stats = {
        "with_data": len(shared),
        "entries": sum(len(entries[c]) for c in shared),
        "same_count_first": len(pairs),
        "same_count_any": 0,
        "scale": scale * TOMOE_BOX,
        "shift": shift,
    }
    for c in shared:
        med = [np.asarray(s, np.float64) for s in medians.strokes(c)]
        if any(len(e) == len(med) for e in entries[c]):
            stats["same_count_any"] += 1
        for e in entries[c]:
            ok, why, _ = check_order(e, med)
            if ok:
                chosen[c] = to_em(e, scale, shift)
                break
            reasons.setdefault(c, why)
    stats["accepted"] = len(chosen)
    stats["rejected"] = {c: reasons[c] for c in shared if c not in chosen}
    return chosen, stats


def pack(chosen: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays of medians.npz (x, y_down in the 1024 box); a one-point stroke doubled."""
    from trainer.data.templates import pack_templates  # ROOT is on sys.path (main)

    return pack_templates(
        {
            c: [np.repeat(s, 2, axis=0) * EM if len(s) == 1 else s * EM for s in strokes]
            for c, strokes in chosen.items()
        },
        VERSION,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tarball", type=Path, help=f"use this {TARBALL} instead of downloading it")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "tomoe.npz")
    res = ROOT / "resources"
    ap.add_argument("--medians", type=Path, default=res / "templates" / "medians.npz")
    ap.add_argument("--charset", type=Path, default=res / "charsets" / "gb2312_level1.txt")
    ap.add_argument(
        "--rejected", type=Path, help="write the rejected characters and why to this file"
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from trainer.data.templates import Templates

    with tempfile.TemporaryDirectory() as tmp:
        tgz = args.tarball or download(Path(tmp))
        verify(tgz)
        with tarfile.open(tgz, "r:gz") as tar:
            xml = _member(tar, XML_NAME)
            (HERE / "LICENSE").write_bytes(_member(tar, "COPYING"))
    entries = parse_xml(xml)
    charset = "".join(args.charset.read_text(encoding="utf-8").split())
    chosen, st = select(entries, charset, Templates(args.medians))
    arrays = pack(chosen)
    np.savez_compressed(args.output, **arrays)
    print(f"Tomoe entries: {sum(map(len, entries.values()))} for {len(entries)} characters")
    print(
        f"level 1: {st['with_data']} characters with data ({st['entries']} entries); "
        f"same stroke count as the medians: {st['same_count_first']} (first entry), "
        f"{st['same_count_any']} (any entry); accepted: {st['accepted']}"
    )
    print(
        f"box map: x' = {st['scale'][0]:.4f} x/1000 + {st['shift'][0]:.4f}, "
        f"y' = {st['scale'][1]:.4f} y/1000 + {st['shift'][1]:.4f} (unit em box, y down)"
    )
    print(
        f"{args.output}: {len(arrays['codepoints'])} characters, "
        f"{len(arrays['point_offsets']) - 1} strokes, "
        f"{len(arrays['points'])} points, {args.output.stat().st_size / 1e3:.0f} kB"
    )
    if args.rejected:
        rejected = "".join(f"{c}\t{w}\n" for c, w in st["rejected"].items())
        args.rejected.write_text(rejected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
