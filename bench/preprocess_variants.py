"""How a model reads each digitizer of the sweep under variants of the thinning step.

The experiment behind preprocessing version 3 (docs/preprocessing.md, "Version 3"): one
model package, its held-out writers and the real inks of ../shared/realdata recorded by a
few devices of the sweep (``trainer.yardsticks.DIGITIZERS``), read with the package's own
preprocessing but the thinning in front of the resampling replaced by each variant:

    python bench/preprocess_variants.py --package resources/model/xiezi-gb1.xiezi \
        --inks 500 --variants none,drop:0.01,runs:0.01,runs:0.02,runs:0.03,runs:0.04

``none`` turns thinning off (version 2), ``runs:S`` is version 3's run means at step S,
``drop:S`` drops points closer than S to the last kept one (a loop over points, the first
candidate). ``--package-version N`` reads a package trained on preprocessing version N
(for before/after comparisons only: the model then sees features it was not trained on).
Top-1 %, synthetic / real, one row per variant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine.manifest
from engine.ink import Ink

pp = importlib.import_module("engine.preprocess")  # `engine.preprocess` is also a function

DEVICES = (
    "as given",
    "100 px box, every 1 px, whole pixels",
    "300 px box, every 1 px, whole pixels (the pad)",
    "300 px, every 1 px, +-1 px jitter, repeated points",
    "sparse: every 0.15 of the size (30 Hz, fast)",
)

Thin = Callable[[np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray]]
RUN_MEANS: Thin = pp.thin  # version 3's own, before any variant replaces it


def drop_close(xy: np.ndarray, sid: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop each point closer than ``step`` of the character to its stroke's last kept point;
    a stroke keeps its ends (the last replaces a kept point too close to it)."""
    n = len(xy)
    if n <= 2:
        return xy.copy(), sid.copy()
    m = (step * float((xy.max(axis=0) - xy.min(axis=0)).max())) ** 2
    breaks = (np.flatnonzero(sid[1:] != sid[:-1]) + 1).tolist()
    keep: list[int] = []
    for a, b in zip([0, *breaks], [*breaks, n], strict=True):
        keep.append(a)
        if b - 1 == a:
            continue
        k = a
        for i in range(a + 1, b - 1):
            if float(((xy[i] - xy[k]) ** 2).sum()) >= m:
                keep.append(i)
                k = i
        if k != a and float(((xy[b - 1] - xy[k]) ** 2).sum()) < m:
            keep.pop()
        keep.append(b - 1)
    idx = np.asarray(keep, dtype=np.intp)
    return xy[idx], sid[idx]


def variant(spec: str) -> tuple[Thin, float]:
    """'none', 'runs:S' or 'drop:S' -> (thinning function, step)."""
    if spec == "none":
        return RUN_MEANS, 0.0
    kind, _, step = spec.partition(":")
    funcs: dict[str, Thin] = {"runs": RUN_MEANS, "drop": drop_close}
    if kind not in funcs or not step:
        raise SystemExit(f"bad variant {spec!r}: use none, runs:STEP or drop:STEP")
    return funcs[kind], float(step)


def top1(rec: object, inks: list[Ink], config: object) -> float:
    hits = 0
    for ink in inks:
        cands = rec.recognize_features(pp.preprocess(ink, config), 1)  # type: ignore[attr-defined]
        hits += bool(cands) and cands[0].char == ink.label
    return 100.0 * hits / max(1, len(inks))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", default="resources/model/xiezi-gb1.xiezi")
    ap.add_argument("--inks", type=int, default=500, help="held-out synthetic writers")
    ap.add_argument("--variants", default="none,runs:0.03")
    ap.add_argument("--package-version", type=int, help="read a package of this version")
    args = ap.parse_args()
    if args.package_version is not None:
        engine.manifest.PREPROCESS_VERSION = args.package_version  # type: ignore[misc]
        original = pp.PreprocessConfig.from_dict.__func__  # type: ignore[attr-defined]

        def from_dict(cls: type, d: dict) -> object:  # older packages lack newer keys
            return original(cls, {"thin_step": 0.0, **d})

        pp.PreprocessConfig.from_dict = classmethod(from_dict)  # type: ignore[method-assign]

    from engine.recognizer import Recognizer, RecognizerOptions
    from trainer import yardsticks as y
    from trainer.build.presets import full

    rec = Recognizer(args.package, RecognizerOptions(threads=1)).load()
    base = y.writers(full().data.synth, args.inks, rec.charset)
    real = [i for inks in y.real_sets(rec.charset).values() for i in inks]
    rng = np.random.default_rng(y.SEED_BASE)
    sets = {}
    for name in DEVICES:
        device = y.DIGITIZERS[name]
        sets[name] = (
            base if device is None else [device.record(i, rng) for i in base],
            real if device is None else [device.record(i, rng) for i in real],
        )
    print(f"{len(base)} synthetic / {len(real)} real inks; top-1 % synthetic / real")
    print("| before resampling | " + " | ".join(DEVICES) + " |")
    print("|---" * (len(DEVICES) + 1) + "|")
    config = rec.package.preprocess
    for spec in args.variants.split(","):
        func, step = variant(spec)
        pp.thin = func  # preprocess_arrays looks the function up at call time
        cfg = replace(config, thin_step=step)
        cells = [f"{top1(rec, s, cfg):.1f} / {top1(rec, r, cfg):.1f}" for s, r in sets.values()]
        print(f"| {spec} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
