"""Rebuild the bundled model: `trainer build --preset full`, then `trainer finetune` of its
package on new writers, then copy the fine-tuned package, both reports and the training
curves here and record the package's sha256 in xiezi-gb1.sha256 (the digest the engine
requires of its bundled model). Resumable: run it again after an interruption.

    python resources/model/regenerate.py [--out runs/full] [--threads 2]
    python resources/model/regenerate.py --record-digest   # only re-record the digest
    python resources/model/regenerate.py --repack   # today's encodings, weights bit for bit

Needs the train extra (torch) to build; --record-digest needs only the engine. See the
README for the time a build takes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("baseline", "svd", "prune", "quant")
PACKAGE = "xiezi-gb1.xiezi"
#: engine.resources.DEFAULT_MODEL_DIGEST: the engine refuses a bundled model without it.
DIGEST = "xiezi-gb1.sha256"
#: Steps of the fine-tuning's two stages (retraining under the masks, centroids).
FINETUNE_STEPS = (9000, 1500)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("runs/full"), help="build folder")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument(
        "--record-digest",
        action="store_true",
        help="only check the package here and record its sha256 (after a repack)",
    )
    p.add_argument(
        "--repack",
        action="store_true",
        help="write the package here again with today's (smallest) encodings, then --record-digest",
    )
    args = p.parse_args(argv)
    if args.repack:
        from engine.errors import ModelLoadError
        from trainer.compress.pack import repack_package

        try:
            repack_package(HERE / PACKAGE, HERE / PACKAGE)
        except ModelLoadError as e:  # the package is left as it was (written atomically)
            print(f"error: cannot repack: {e}", file=sys.stderr)
            return 2
    if args.record_digest or args.repack:
        return record_digest()
    from trainer.cli import main as trainer

    rc = trainer(
        ["build", "--preset", "full", "--out", str(args.out), "--threads", str(args.threads)]
    )
    if rc != 0:
        return rc
    tuned = args.out / "finetune"
    rc = trainer(
        [
            "finetune",
            "--from",
            str(args.out / PACKAGE),
            "--out",
            str(tuned),
            "--preset",
            "full",
            "--threads",
            str(args.threads),
            "--prune-steps",
            str(FINETUNE_STEPS[0]),
            "--quant-steps",
            str(FINETUNE_STEPS[1]),
        ]
    )
    if rc != 0:
        return rc
    shutil.copy2(tuned / PACKAGE, HERE / PACKAGE)
    for name in ("report.md", "report.json"):
        shutil.copy2(args.out / name, HERE / name)
        shutil.copy2(tuned / name, HERE / f"finetune-{name}")
    (HERE / "curves").mkdir(exist_ok=True)
    for folder, stage in [(args.out, s) for s in STAGES] + [(tuned, s) for s in STAGES[2:]]:
        curves = folder / stage / "curves.png"
        prefix = "finetune-" if folder == tuned else ""
        if curves.is_file():
            shutil.copy2(curves, HERE / "curves" / f"{prefix}{stage}.png")
    rc = record_digest()
    print(f"bundled model updated in {HERE}")
    return rc


def record_digest() -> int:
    """Load the package here in full, then write its sha256 in ``sha256sum`` format."""
    sys.path.insert(0, str(HERE.parent.parent))
    from engine.errors import ModelLoadError
    from engine.package import load_package

    try:
        package = load_package(HERE / PACKAGE)
    except ModelLoadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    (HERE / DIGEST).write_text(f"{package.sha256}  {PACKAGE}\n", encoding="ascii")
    print(f"recorded sha256 {package.sha256} in {HERE / DIGEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
