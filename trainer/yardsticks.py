"""Yardsticks from outside the generator, measured on a built model for its report.

A model trained on synthetic writers and validated on more of them cannot see what the
synthesizer lacks. These figures can:

- the digitizer sweep: held-out writers recorded as other devices would (box size, point
  spacing, whole pixels, jitter, repeated points), top-1 of each beside the ink as given;
- held-out shapes: writers drawn from shape sources, or characters of a source, never
  trained on (``templates.held_out_shape``);
- real handwriting kept outside the project (``../shared/realdata/*/*.jsonl``; evaluation only,
  never trained on), when it is there;
- the realism card of the training population (``../shared/realism/realism.py``);
- writers write text: held-out text with and without context (``trainer.text_yardstick``);
- held-out writers split by stroke order, pen-downs per standard stroke, and the most
  frequent characters with their confusions (``trainer.split_yardstick``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.ink import Ink, iter_jsonl_lines, make_ink
from engine.recognizer import Recognizer, RecognizerOptions
from trainer.data.config import DataConfig
from trainer.data.errors import DataError
from trainer.data.sources import SyntheticSource
from trainer.data.synth import SynthConfig, synthesize_ink
from trainer.data.synth.motion import resample_stroke
from trainer.data.templates import (
    SHAPE_SOURCES,
    held_out_shape,
    load_shapes,
    load_templates,
)
from trainer.split_yardstick import measure_splits
from trainer.text_yardstick import TextConfig, measure_text

logger = logging.getLogger(__name__)

#: Writer seeds of the yardsticks; the trainer's streams never reach this range.
SEED_BASE = 9_000_000_000
#: The engine's limit on points per ink: a dense recording coarsens its spacing to stay under.
MAX_POINTS = 4000


@dataclass(frozen=True)
class Digitizer:
    """A device: the ink's larger side spans ``box`` px, a sample every ``spacing`` px along
    each stroke (0: the points as given), whole pixels or not, +-``jitter`` px noise, and every
    point reported twice when ``repeat``."""

    box: float
    spacing: float
    integer: bool
    jitter: float = 0.0
    repeat: bool = False

    def record(self, ink: Ink, rng: np.random.Generator) -> Ink:
        """The same handwriting as this device would record it."""
        pts = np.concatenate(ink.strokes)[:, :2]
        lo = pts.min(axis=0)
        size = float((pts.max(axis=0) - lo).max()) or 1.0
        length = sum(_length(s[:, :2]) for s in ink.strokes) * self.box / size
        step = max(self.spacing, length / MAX_POINTS) if self.spacing > 0 else 0.0
        if self.repeat:
            step = max(step, 2 * length / MAX_POINTS)
        out = []
        for s in ink.strokes:
            p = np.column_stack([(s[:, :2] - lo) * (self.box / size), s[:, 2]])
            if step > 0:
                p = resample_stroke(p, step)
            if self.jitter > 0:
                p[:, :2] += rng.uniform(-self.jitter, self.jitter, (len(p), 2))
            if self.integer:
                p[:, :2] = np.rint(p[:, :2])
            if self.repeat:
                p = np.repeat(p, 2, axis=0)
            out.append(p)
        return make_ink(out, ink.label)


#: The sweep's devices, from a coarse fast pen to a dense tablet; "as given" is the ink itself.
DIGITIZERS: dict[str, Digitizer | None] = {
    "as given": None,
    "sparse: every 0.15 of the size (30 Hz, fast)": Digitizer(100, 15, False),
    "100 px box, every 1 px, whole pixels": Digitizer(100, 1, True),
    "300 px box, every 1 px, whole pixels (the pad)": Digitizer(300, 1, True),
    "300 px box, every 4 px, whole pixels": Digitizer(300, 4, True),
    "300 px, every 1 px, +-1 px jitter, repeated points": Digitizer(300, 1, True, 1.0, True),
    "1000 px box, every 2 px, float": Digitizer(1000, 2, False),
    "2000 px box, every 3 px, whole pixels": Digitizer(2000, 3, True),
}


def _length(p: np.ndarray) -> float:
    return float(np.hypot(*np.diff(p, axis=0).T).sum()) if len(p) > 1 else 0.0


def score(recognizer: Recognizer, inks: list[Ink], batch: int = 64) -> dict[str, float]:
    """Top-1 and top-10 of labelled inks: {"n", "top1", "top10"} (fractions)."""
    hit1 = hit10 = 0
    for i in range(0, len(inks), batch):
        part = inks[i : i + batch]
        for ink, cands in zip(part, recognizer.recognize_batch(part, 10), strict=True):
            chars = [c.char for c in cands]
            hit1 += bool(chars) and chars[0] == ink.label
            hit10 += ink.label in chars
    n = len(inks)
    return {"n": n, "top1": hit1 / n if n else 0.0, "top10": hit10 / n if n else 0.0}


def writers(config: SynthConfig, n: int, charset: str, offset: int = 0) -> list[Ink]:
    """``n`` held-out writers of the population ``config`` (its own sampling, no drawn device),
    characters spread evenly over ``charset``, medians' shapes."""
    config = replace(config, digitizer_prob=0.0)
    templates = load_templates()
    step = max(1, len(charset) // max(n, 1))
    out = []
    for i in range(n):
        char = charset[(i * step + offset) % len(charset)]
        rng = np.random.default_rng(SEED_BASE + offset * 1_000_003 + i)
        out.append(synthesize_ink(templates.strokes(char), rng, config, label=char))
    return out


def held_out_shapes(
    config: SynthConfig, trained: tuple[str, ...], n: int, charset: str
) -> dict[str, list[Ink]]:
    """Writers on shapes never trained on: per non-median source, ``n`` inks of its held-out
    characters of ``charset`` (all of them when the build did not train on the source)."""
    config = replace(config, digitizer_prob=0.0)
    sets = {}
    for k, name in enumerate(SHAPE_SOURCES):
        if name == "medians":
            continue
        try:
            shapes = load_shapes(name)
        except DataError as e:  # a source not built here (no file) is no yardstick
            logger.info("shape source %s: %s", name, e)
            continue
        chars = [c for c in charset if c in shapes and (name not in trained or held_out_shape(c))]
        if not chars:
            continue
        inks = []
        for i in range(n):
            char = chars[(i * 7919) % len(chars)]  # a prime stride: spread, and every one once
            rng = np.random.default_rng(SEED_BASE + (k + 10) * 1_000_003 + i)
            inks.append(synthesize_ink(shapes.strokes(char), rng, config, label=char))
        label = "held-out characters" if name in trained else "source never trained on"
        sets[f"{name} shapes ({label})"] = inks
    return sets


def shared_folder() -> Path:
    """``../shared`` beside the checkout (or $XIEZI_SHARED): real data and the realism card."""
    env = os.environ.get("XIEZI_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def real_sets(charset: str) -> dict[str, list[Ink]]:
    """Every labelled JSONL under shared/realdata/, the inks of classes of ``charset``."""
    folder = shared_folder() / "realdata"
    sets: dict[str, list[Ink]] = {}
    for path in sorted(folder.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as f:
            inks = [
                item
                for _, item in iter_jsonl_lines(f)
                if isinstance(item, Ink) and item.label and item.label in charset
            ]
        if inks:
            sets[f"real: {path.parent.name}/{path.name}"] = inks
    return sets


def realism_card(
    data: DataConfig, per_char: int = 2, digitizers: bool = False, keep: Path | None = None
) -> str | None:
    """The realism card of the training population ``data`` (its writers and its mix of
    shape sources; ``per_char`` of every class, as the card's real set): the card's text, or
    None without the card. One digitizer (the card's ``points`` compare) unless
    ``digitizers``; ``keep``: also write the population there (JSONL)."""
    script = shared_folder() / "realism" / "realism.py"
    if not script.is_file():
        return None
    config = data.synth if digitizers else replace(data.synth, digitizer_prob=0.0)
    source = SyntheticSource(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "population.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for k in range(per_char):
                for i, char in enumerate(source.classes):
                    rng = np.random.default_rng(SEED_BASE - 1 - k * 1_000_003 - i)
                    strokes = source.shape(i, rng)  # drawn as in training, then the writer
                    f.write(synthesize_ink(strokes, rng, config, char).to_json() + "\n")
        if keep is not None:
            shutil.copyfile(path, keep)
        tpl = Path(load_templates().path)
        run = subprocess.run(
            [sys.executable, str(script), str(path), "--templates", str(tpl)],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
    return run.stdout if run.returncode == 0 else f"realism card failed: {run.stderr[-500:]}"


def measure(package: str | Path, data: DataConfig, n: int, card: bool = True) -> dict[str, Any]:
    """Every yardstick of the model package trained on ``data``: {"digitizers", "shapes",
    "real", "realism", "text", "splits" (``split_yardstick``: by order, joining, frequent
    characters)}."""
    config, shapes = data.synth, tuple(name for name, _ in data.shapes)
    rec = Recognizer(package, RecognizerOptions(threads=1))
    rng = np.random.default_rng(SEED_BASE)
    base = writers(config, n, rec.charset)
    real = real_sets(rec.charset)
    sweep = {}
    for name, device in DIGITIZERS.items():
        row = {
            "synthetic": score(
                rec, base if device is None else [device.record(i, rng) for i in base]
            )
        }
        for rname, inks in real.items():
            row[rname] = score(
                rec, inks if device is None else [device.record(i, rng) for i in inks]
            )
        sweep[name] = row
    held = {k: score(rec, v) for k, v in held_out_shapes(config, shapes, n, rec.charset).items()}
    return {
        "inks": n,
        "digitizers": sweep,
        "shapes": held,
        "real": {k: score(rec, v) for k, v in real.items()},
        "realism": realism_card(data) if card else None,
        "text": measure_text(rec, data, TextConfig.for_inks(n)),
        "splits": measure_splits(rec, config, n, SEED_BASE + 50 * 1_000_003),
    }


def spread(y: dict[str, Any]) -> float:
    """The largest top-1 distance (points) of any device from 'as given', over every set."""
    rows = y["digitizers"]
    given = rows["as given"]
    return max(abs(100 * (r[s]["top1"] - given[s]["top1"])) for r in rows.values() for s in r)
