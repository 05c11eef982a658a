"""Rebuild medians.npz from the npm package hanzi-writer-data (Make Me a Hanzi medians).

Usage::

    python resources/templates/regenerate.py            # runs `npm pack` in a temp dir
    python resources/templates/regenerate.py --tarball hanzi-writer-data-2.0.1.tgz

Each character's JSON holds ``medians``: one polyline per stroke in a 1024 box with y
pointing UP (hanzi-writer draws with ``translate(0, 900) scale(1, -1)``). We store y DOWN:
``y_down = 900 - y_up``, so the em box is x in [0, 1024], y_down in [-124, 900].

medians.npz (no pickle) holds, for C characters, S strokes and P points:
    codepoints     uint32 (C,)    sorted by code point
    stroke_offsets int32 (C+1,)   strokes of char c are stroke_offsets[c]:stroke_offsets[c+1]
    point_offsets  int32 (S+1,)   points of stroke s are point_offsets[s]:point_offsets[s+1]
    points         int16 (P, 2)   x, y_down in the 1024 box
    version        str            package@version it came from
Only numpy and the Python standard library are needed to run it (plus npm without --tarball).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "hanzi-writer-data@2.0.1"
HERE = Path(__file__).resolve().parent


def npm_pack(dest: Path) -> Path:
    """Download the package tarball with `npm pack` into dest and return its path."""
    subprocess.run(
        ["npm", "pack", "--silent", PACKAGE], cwd=dest, check=True, stdout=subprocess.DEVNULL
    )
    (tgz,) = dest.glob("*.tgz")
    return tgz


def read_medians(tgz: Path) -> dict[int, list[list[list[int]]]]:
    """Code point -> medians (y up) of every single-character JSON in the tarball."""
    out: dict[int, list[list[list[int]]]] = {}
    with tarfile.open(tgz, "r:gz") as tar:
        for m in tar.getmembers():
            name = Path(m.name).name
            if not (m.isfile() and name.endswith(".json") and len(name) == 6):
                continue  # package.json and friends
            f = tar.extractfile(m)
            assert f is not None
            data = json.load(f)
            out[ord(name[0])] = data["medians"]
    return out


def pack(medians: dict[int, list[list[list[int]]]]) -> dict[str, np.ndarray]:
    """Flatten the medians into the arrays of medians.npz (y flipped to point down)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from trainer.data.templates import pack_templates

    return pack_templates(
        {
            chr(cp): [
                np.array([[x, 900 - y] for x, y in stroke], dtype=float) for stroke in strokes
            ]
            for cp, strokes in medians.items()
        },
        PACKAGE,
    )


def copy_notices(tgz: Path) -> None:
    """Keep the package's licence and attribution next to the derived data."""
    with tarfile.open(tgz, "r:gz") as tar:
        for src, dst in (
            ("package/ARPHICPL.TXT", "LICENSE"),
            ("package/README.md", "UPSTREAM_README.md"),
        ):
            f = tar.extractfile(src)
            assert f is not None
            (HERE / dst).write_bytes(f.read())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--tarball", type=Path, help="use this hanzi-writer-data .tgz instead of npm pack"
    )
    ap.add_argument("-o", "--output", type=Path, default=HERE / "medians.npz")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tgz = args.tarball or npm_pack(Path(tmp))
        arrays = pack(read_medians(tgz))
        copy_notices(tgz)
    np.savez_compressed(args.output, **arrays)
    n = len(arrays["codepoints"])
    print(
        f"{args.output}: {n} characters, {len(arrays['point_offsets']) - 1} strokes, "
        f"{len(arrays['points'])} points, {args.output.stat().st_size / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
