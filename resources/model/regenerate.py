"""Rebuild the bundled model: `trainer build --preset full`, then copy its package, build
report and training curves here. Resumable: run it again after an interruption.

    python resources/model/regenerate.py [--out runs/full] [--threads 2]

Needs the train extra (torch); see the README for the time it takes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("baseline", "svd", "prune", "quant")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("runs/full"), help="build folder")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    args = p.parse_args(argv)
    from trainer.cli import main as trainer

    rc = trainer(["build", "--preset", "full", "--out", str(args.out), "--threads",
                  str(args.threads)])
    if rc != 0:
        return rc
    for name in ("xiezi-gb1.xiezi", "report.md", "report.json"):
        shutil.copy2(args.out / name, HERE / name)
    (HERE / "curves").mkdir(exist_ok=True)
    for stage in STAGES:
        curves = args.out / stage / "curves.png"
        if curves.is_file():
            shutil.copy2(curves, HERE / "curves" / f"{stage}.png")
    print(f"bundled model updated in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
