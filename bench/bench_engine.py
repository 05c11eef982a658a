"""Engine latency per character (preprocessing alone, model alone, end to end) and peak RSS.

    .venv/bin/python bench/bench_engine.py [--inks 300] [--model PATH] [--dense] [--json]

The ink set is fixed and seeded: characters drawn from the GB2312 level-1 charset, written
along their stroke medians (resources/templates) with digitizer-like spacing and jitter
(``--dense``: the same inks as the pad records them, a point every pixel). The model is the bundled
resources/model/xiezi-gb1.xiezi when present (or --model), else a stand-in of the real size
(LSTM 6->100->512, FC 512->512->3755, random weights) built with the onnx helper API
(needs the `train` extra). Timings run in a child process that imports only the engine, one
onnxruntime thread, after a warm-up; its peak RSS (VmHWM, and getrusage) is the engine's
footprint. "best" columns damp other processes on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.ink import Ink, make_ink, read_jsonl, write_jsonl
from engine.resources import DEFAULT_MODEL, resource_path

SEED = 20261125


def template_inks(count: int, seed: int = SEED) -> list[Ink]:
    """Seeded inks along the stroke medians of random GB2312 level-1 characters."""
    z = np.load(resource_path("templates", "medians.npz"), allow_pickle=False)
    charset = resource_path("charsets", "gb2312_level1.txt").read_text(encoding="utf-8").strip()
    index = {int(c): i for i, c in enumerate(z["codepoints"])}
    rng = np.random.default_rng(seed)
    inks: list[Ink] = []
    chars = [c for c in charset if ord(c) in index]
    for ch in rng.choice(chars, count):
        ci = index[ord(ch)]
        strokes, t = [], 0.0
        for s in range(z["stroke_offsets"][ci], z["stroke_offsets"][ci + 1]):
            poly = z["points"][z["point_offsets"][s] : z["point_offsets"][s + 1]].astype(float)
            # resample every ~32 units of the 1024 box, jitter by 2: ~70 points survive
            seg = np.hypot(*np.diff(poly, axis=0).T)
            arc = np.concatenate([[0.0], np.cumsum(seg)])
            at = np.linspace(0, arc[-1], max(2, int(arc[-1] / 32) + 1))
            xy = np.column_stack([np.interp(at, arc, poly[:, 0]), np.interp(at, arc, poly[:, 1])])
            xy += rng.normal(0, 2.0, xy.shape)
            ts = t + 10.0 * np.arange(len(xy))
            t = float(ts[-1]) + 120.0
            strokes.append(np.column_stack([xy, ts]).tolist())
        inks.append(make_ink(strokes, label=str(ch)))
    return inks


def stand_in_model(path: Path) -> None:
    """A random-weight model of the real size, packaged; needs onnx (the `train` extra)."""
    from engine.package import write_package
    from engine.preprocess import PreprocessConfig
    from tests.support.onnx_builders import externalize, lstm_classifier

    charset = resource_path("charsets", "gb2312_level1.txt").read_text(encoding="utf-8").strip()
    model, weights = lstm_classifier(len(charset), hidden=(100, 512), fc=512, seed=1)
    onnx_bytes = externalize(model, list(weights))
    write_package(path, onnx_bytes, charset, PreprocessConfig(), weights, {}, {"stage": "stand-in"})


def percentiles(per_round: np.ndarray) -> dict[str, float]:
    """per_round (rounds, inks) seconds -> median / p95 over inks of each ink's median over
    rounds, and the median over inks of each ink's best round (robust to a busy machine)."""
    typical = np.median(per_round, axis=0) * 1e3
    best = per_round.min(axis=0) * 1e3
    return {
        "median_ms": float(np.median(typical)),
        "p95_ms": float(np.percentile(typical, 95)),
        "best_median_ms": float(np.median(best)),
    }


def memory_mib(field: str) -> float | None:
    """VmRSS (now) or VmHWM (peak) of this process from /proc, in MiB; None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def child(model: Path, ink_path: Path, rounds: int) -> dict[str, Any]:
    """Runs in a fresh process: load the engine and model, time every ink, report peak RSS."""
    import importlib

    from engine.recognizer import Recognizer, RecognizerOptions

    pp = importlib.import_module("engine.preprocess")  # the name is also a function
    rss_import = memory_mib("VmRSS")
    inks = read_jsonl(ink_path)
    t0 = time.perf_counter()
    r = Recognizer(model, RecognizerOptions(threads=1)).load()
    load_s = time.perf_counter() - t0
    cfg = r.package.preprocess
    feats = [pp.preprocess(i, cfg) for i in inks]
    for ink in inks[:20]:  # warm-up
        r.recognize(ink)
    pre_rounds = max(rounds, 10)  # preprocessing is cheap: more rounds, steadier figures
    times = {"pre": np.zeros((pre_rounds, len(inks)))}
    times.update({k: np.zeros((rounds, len(inks))) for k in ("model", "e2e")})
    for k in range(pre_rounds):
        for i, ink in enumerate(inks):
            a = time.perf_counter()
            pp.preprocess(ink, cfg)
            times["pre"][k, i] = time.perf_counter() - a
    for k in range(rounds):
        for i, (ink, f) in enumerate(zip(inks, feats, strict=True)):
            a = time.perf_counter()
            r.recognize_features(f, 10)
            b = time.perf_counter()
            r.recognize(ink, 10)
            times["model"][k, i] = b - a
            times["e2e"][k, i] = time.perf_counter() - b
    lengths = np.array([len(f) for f in feats])
    res = {
        "model": str(model),
        "model_info_stage": r.info.get("stage"),
        "classes": len(r.charset),
        "inks": len(inks),
        "raw_points_mean": float(np.mean([i.num_points for i in inks])),
        "points_after_preprocess": {
            "mean": float(lengths.mean()),
            "median": float(np.median(lengths)),
        },
        "rounds": rounds,
        "preprocess_rounds": pre_rounds,
        "threads": 1,
        "load_s": load_s,
        "preprocess": percentiles(times["pre"]),
        "model_only": percentiles(times["model"]),
        "end_to_end": percentiles(times["e2e"]),
        "rss_mib_after_import": rss_import,
        "peak_rss_mib_getrusage": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_mib": memory_mib("VmHWM"),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    return res


def print_table(res: dict[str, Any]) -> None:
    print(f"model: {res['model']} ({res['classes']} classes, stage {res['model_info_stage']})")
    pts = res["points_after_preprocess"]
    print(
        f"inks: {res['inks']} (raw {res['raw_points_mean']:.0f} points, after preprocessing "
        f"mean {pts['mean']:.1f} / median {pts['median']:.0f}); {res['rounds']} rounds "
        f"({res['preprocess_rounds']} for preprocessing), 1 onnxruntime thread"
    )
    print(f"{'stage':<32}{'median ms':>11}{'p95 ms':>9}{'best ms':>9}")
    rows = [
        ("preprocess", "preprocessing"),
        ("model_only", "model only (features in)"),
        ("end_to_end", "end to end"),
    ]
    for key, name in rows:
        if key in res:
            v = res[key]
            print(
                f"{name:<32}{v['median_ms']:>11.3f}{v['p95_ms']:>9.3f}{v['best_median_ms']:>9.3f}"
            )
    print("(median / p95 over inks of each ink's median round; best: median of best rounds)")
    print(f"model load: {res['load_s']:.2f} s; 1-min load average {res['load_average_1min']:.1f}")
    print(
        f"peak RSS: {res['peak_rss_mib'] or 0:.0f} MiB (getrusage: "
        f"{res['peak_rss_mib_getrusage']:.0f} MiB); after import engine: "
        f"{res['rss_mib_after_import'] or 0:.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inks", type=int, default=300, help="characters in the ink set")
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the ink set")
    ap.add_argument("--model", type=Path, help="model package (default: bundled or stand-in)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument(
        "--dense",
        action="store_true",
        help="the same inks as the pad records them: a 300 px box, a point every "
        "pixel, whole pixels (needs the train extra)",
    )
    ap.add_argument("--child", nargs=2, metavar=("MODEL", "INKS"), help=argparse.SUPPRESS)
    ap.add_argument("--make-model", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make_model:
        stand_in_model(args.make_model)
        return 0
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]), args.rounds)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or resource_path(*DEFAULT_MODEL)
        if not model.is_file():
            model = Path(tmp) / "stand-in.xiezi"
            print("no bundled model: building a stand-in of the real size...", file=sys.stderr)
            # in its own process, so this one stays small: Linux passes a parent's peak RSS
            # on to a child's getrusage(), and onnx + LZMA would inflate it
            subprocess.run([sys.executable, __file__, "--make-model", str(model)], check=True)
        ink_path = Path(tmp) / "inks.jsonl"
        inks = template_inks(args.inks)
        if args.dense:
            from trainer.yardsticks import Digitizer

            pad, rng = Digitizer(300, 1, True), np.random.default_rng(SEED)
            inks = [pad.record(i, rng) for i in inks]
        write_jsonl(ink_path, inks)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(model),
                str(ink_path),
                "--rounds",
                str(args.rounds),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        res = json.loads(done.stdout)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
