"""The "writers write text" yardstick (issue 24): a model read as it is used, with and without
the language model's context.

Sets, per population (``trainer.text_writers``: "normal", the build's training writers, and
"stress", writers further from it on shapes never trained on), all top-1 / top-10:

- isolated characters spread evenly over the charset, and drawn by the held-out text's
  character frequency (no context: the network alone); the uniform ones also ranked as at
  the start of a text (context "", where the prior is character frequency);
- the text (every writer's passages), ranked by the network alone and with its context;
- the most frequent characters of the held-out text (300), within the text, both ways.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.atomic import atomic_write_text
from engine.ink import Ink
from engine.protocol import Candidate
from trainer.data.config import DataConfig
from trainer.text_writers import (
    HISTORY,
    Population,
    TextSample,
    frequencies,
    load_passages,
    population,
    write_isolated,
    write_text,
)

logger = logging.getLogger(__name__)

#: The issue's measure of what a user meets most: the text's most frequent characters.
FREQUENT = 300


class ContextRecognizer(Protocol):
    """What the yardstick reads ink with (engine.recognizer.Recognizer, or a test's fake)."""

    @property
    def charset(self) -> str: ...

    def recognize_batch(
        self,
        inks: Sequence[Ink],
        n: int = 10,
        contexts: Sequence[str | None] | None = None,
    ) -> Sequence[Sequence[Candidate]]: ...


@dataclass(frozen=True)
class TextConfig:
    """The yardstick's size.

    Attributes:
        writers: writers per population (the real evaluation of issue 24 had 24).
        chars: characters each writer writes (350 there).
        isolated: inks of each isolated set (uniform, by frequency), by the same writers.
        history: characters of context before each ink.
        stress: measure the stress population too.
    """

    writers: int = 24
    chars: int = 350
    isolated: int = 3755
    history: int = HISTORY
    stress: bool = True

    @classmethod
    def for_inks(cls, n: int) -> TextConfig:
        """The size a build report with ``n`` inks per yardstick uses: ``n`` isolated inks and
        one writer of 350 characters per 40 of them, 1 to 24 (1000: the real evaluation's 24)."""
        return cls(writers=min(24, max(1, n // 40)), isolated=max(1, n))


def samples(
    charset: str, data: DataConfig, stress: bool = False, config: TextConfig = TextConfig()
) -> dict[str, tuple[TextSample, ...]]:
    """The yardstick's inks for one population: {"uniform", "frequency", "text"}, each a tuple
    of (ink, label, context); context None for the isolated ones. Cheap to call again (cached):
    ``bench/tune_context.py`` runs the network once per ink and tries weights on the scores."""
    sets = _sets(charset, population(data, stress), config)
    return {**sets, "text": tuple(s for writer in sets["text"] for s in writer)}


def _sets(charset: str, pop: Population, config: TextConfig) -> dict[str, Any]:
    """{"uniform", "frequency": samples, "text": one tuple of samples per writer}."""
    return {
        "uniform": write_isolated(charset, pop, config.isolated, False, config.writers),
        "frequency": write_isolated(charset, pop, config.isolated, True, config.writers),
        "text": write_text(charset, pop, config.writers, config.chars, config.history),
    }


def ranks(
    rec: ContextRecognizer, items: Sequence[TextSample], context: bool, batch: int = 64
) -> np.ndarray:
    """Where each label comes among the recognizer's 10 candidates (0: first; 10: not there),
    ranked with each sample's context or (``context`` False) by the network alone."""
    out = np.full(len(items), 10, dtype=np.int64)
    for i in range(0, len(items), batch):
        part = items[i : i + batch]
        inks = [s.ink for s in part]
        got = (
            rec.recognize_batch(inks, 10, [s.context for s in part])
            if context
            else rec.recognize_batch(inks, 10)
        )
        for j, (s, cands) in enumerate(zip(part, got, strict=True)):
            chars = [c.char for c in cands]
            if s.label in chars:
                out[i + j] = chars.index(s.label)
    return out


def summary(r: np.ndarray) -> dict[str, float]:
    """{"n", "top1", "top10"} (fractions) of ``ranks``."""
    n = len(r)
    return {
        "n": n,
        "top1": float((r == 0).mean()) if n else 0.0,
        "top10": float((r < 10).mean()) if n else 0.0,
    }


def language_model_problem(rec: ContextRecognizer) -> str | None:
    """Why the engine's recognizer would rank context without a language model (it then
    falls back to the network alone, with one warning), or None."""
    from engine.recognizer import Recognizer

    if not isinstance(rec, Recognizer):
        return None  # a recognizer of its own ranks context as it will
    try:
        from engine.language import LanguageModel

        LanguageModel.default().log_probs("", rec.charset)
    except Exception as e:  # noqa: BLE001 - any failure means: no context figures
        return f"{type(e).__name__}: {e}".rstrip(": ")
    return None


def measure_population(
    rec: ContextRecognizer, sets: dict[str, Any], frequent: str, context: bool
) -> dict[str, Any]:
    """Every figure of one population (``_sets``); the context ones None without ``context``."""
    text = [s for writer in sets["text"] for s in writer]
    alone = ranks(rec, text, context=False)
    ctx = ranks(rec, text, context=True) if context else None
    top = np.array([s.label in frequent for s in text], dtype=bool)
    ends = np.cumsum([len(w) for w in sets["text"]]).tolist()
    bounds = zip([0, *ends], ends, strict=False)
    per_writer = [float((alone[a:b] == 0).mean()) for a, b in bounds if b > a]
    start = [s._replace(context="") for s in sets["uniform"]] if context else None
    return {
        "uniform": summary(ranks(rec, sets["uniform"], context=False)),
        # the pad after a reset: context "" (issue 24: at most 1 point below the network)
        "uniform_start": None if start is None else summary(ranks(rec, start, context=True)),
        "frequency": summary(ranks(rec, sets["frequency"], context=False)),
        "text": summary(alone),
        "text_context": None if ctx is None else summary(ctx),
        "frequent": summary(alone[top]),
        "frequent_context": None if ctx is None else summary(ctx[top]),
        "writer_top1": {
            "min": min(per_writer, default=0.0),
            "median": float(np.median(per_writer)) if per_writer else 0.0,
            "max": max(per_writer, default=0.0),
        },
    }


def measure_text(
    rec: ContextRecognizer, data: DataConfig, config: TextConfig = TextConfig()
) -> dict[str, Any]:
    """The yardstick of a recognizer whose model was trained on ``data``: {"config",
    "language_model" (None, or why there are no context figures), "frequent_chars",
    "populations": {"normal", "stress"?: measure_population}}."""
    charset = rec.charset
    problem = language_model_problem(rec)
    if problem:
        logger.warning("text yardstick without context figures: %s", problem)
    freq = frequencies(load_passages(), charset)
    frequent = "".join(c for c, _ in freq.most_common(FREQUENT))
    pops = {}
    for stress in (False, True) if config.stress else (False,):
        pop = population(data, stress)
        pops[pop.name] = measure_population(
            rec, _sets(charset, pop, config), frequent, context=problem is None
        )
    return {
        "config": {
            "writers": config.writers,
            "chars": config.chars,
            "isolated": config.isolated,
            "history": config.history,
        },
        "language_model": problem,
        "frequent_chars": len(frequent),
        "populations": pops,
    }


#: Rows of the table: (label, figure key).
ROWS = (
    ("isolated, uniform over the charset", "uniform"),
    ('the same, ranked as at the start of a text (context "")', "uniform_start"),
    ("isolated, by the text's character frequency", "frequency"),
    ("text, network alone", "text"),
    ("text, with context", "text_context"),
    ("{k} most frequent characters in the text, network alone", "frequent"),
    ("{k} most frequent characters in the text, with context", "frequent_context"),
)


def text_markdown(t: dict[str, Any]) -> list[str]:
    """The yardstick as Markdown lines (a section of the build report)."""
    cfg, pops = t["config"], t["populations"]
    lines = [
        "",
        "## Writers write text",
        "",
        (
            f"{cfg['writers']} synthetic writers per population, each in one hand, each "
            f"writing about {cfg['chars']} characters of held-out book reviews "
            "(`resources/lm/heldout.txt`, never in the language model); context: the "
            f"{cfg['history']} characters before each ink. Isolated sets: "
            f"{cfg['isolated']} inks by the same writers, no context. Normal: the training "
            "writers; stress: more order errors and deformation, shapes never trained on "
            "(`trainer/text_writers.py`)."
        ),
        "",
    ]
    if t.get("language_model"):
        lines += [f"No language model, so no figures with context: {t['language_model']}", ""]
    lines += [
        "| set | " + " | ".join(f"{p}: inks | top-1 | top-10" for p in pops) + " |",
        "|---" * (1 + 3 * len(pops)) + "|",
    ]
    for label, key in ROWS:
        cells = []
        for p in pops.values():
            r = p[key]
            cells += (
                ["", "n/a", "n/a"]
                if r is None
                else [str(r["n"]), f"{100 * r['top1']:.1f}%", f"{100 * r['top10']:.1f}%"]
            )
        lines.append(f"| {label.format(k=t['frequent_chars'])} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Text top-1 of one writer, network alone (worst / median / best): "
        + "; ".join(
            f"{name} {100 * p['writer_top1']['min']:.0f}% / {100 * p['writer_top1']['median']:.0f}%"
            f" / {100 * p['writer_top1']['max']:.0f}%"
            for name, p in pops.items()
        )
        + ".",
    ]
    return lines


def write_jsonl(path: str | Path, items: Iterable[TextSample]) -> int:
    """Write samples as the engine's JSONL ink, each with its "label" and (where it has one)
    "context", for ``python -m engine eval``; returns the number of lines."""
    lines = []
    for s in items:
        obj = s.ink.to_json_obj()
        obj["label"] = s.label
        obj.pop("context", None)
        if s.context is not None:
            obj["context"] = s.context
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    atomic_write_text(Path(path), "".join(lines))
    return len(lines)
