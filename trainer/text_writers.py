"""Synthetic writers writing held-out text: the ink of the "writers write text" yardstick.

People write text, not a uniform list of characters (issue 24). Each writer here has one hand
(a ``WriterStyle`` drawn once, and one shape source) and writes consecutive passages of
``resources/lm/heldout.txt``: book reviews that the language model is never built from
(``resources/lm/regenerate.py``). Every character of the model's charset is written as an ink;
the rest (punctuation, digits, latin, rarer hanzi) is not written but stays in the context.
The context of an ink is the passage text just before it (its last ``history`` characters,
what the pad would have committed), "" at the start of a passage.

Two populations: "normal", the writers a build trains on (its ``SynthConfig`` and shape
sources), which the network reads at about 96% top-1, too well for context to show; and
"stress", writers with twice the stroke-order errors, about 1.6x the deformation and
sloppier joining, whose shapes come from sources the build never trained on: the bundled
model reads their text at about 61%, near real writers' 58% (issue 24).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from engine.ink import Ink
from trainer.data.config import DataConfig
from trainer.data.errors import DataError
from trainer.data.synth import SynthConfig, WriterStyle, sample_writer, synthesize_batch
from trainer.data.synth.synthesize import to_ink
from trainer.data.templates import (
    SHAPE_SOURCES,
    Templates,
    held_out_shape,
    load_shapes,
    load_templates,
    resource_file,
)

#: trainer.yardsticks.SEED_BASE (that module imports this one); the trainer's streams never
#: reach it. Seeds here are sequences [SEED_BASE, TEXT_TAG, population, ...].
SEED_BASE = 9_000_000_000
TEXT_TAG, ISOLATED_TAG = 24, 25
#: Characters of context handed on (the pad passes what it committed just before).
HISTORY = 20
#: The stress population's changes to the training writers, chosen so that the bundled model
#: reads their text about as well as it reads real writers' (61% top-1, network alone, against
#: 58%; 1.75x the deformation gave 52%, 1.5x 68%).
STRESS: dict[str, Any] = {
    "swap_prob": 0.2,
    "reverse_prob": 0.1,  # the full build trains on 0.10 / 0.06
    "offset_sd": 0.032,
    "scale_log_sd": 0.13,
    "stroke_rotation_sd": 0.095,
    "bend_sd": 0.08,
    "elastic_amp": 0.024,
    "mess_max": 2.7,  # deformation about 1.6x the default
    "cursive_a": 3.0,
    "cursive_b": 1.5,
    "neat_a": 1.5,
    "neat_b": 2.5,  # joined, untidy
}


class TextSample(NamedTuple):
    """One written character: its ink (no label or context inside), label and context
    (the text before it; None for an isolated character, ranked by the network alone)."""

    ink: Ink
    label: str
    context: str | None


@dataclass(frozen=True)
class Population:
    """Who writes.

    Attributes:
        name: "normal" or "stress" (also its seed stream).
        synth: the writers' synthesizer settings (no drawn digitizer: a writer keeps one).
        hands: (shape source, weight) pairs; each writer draws one by weight and writes the
            characters it has from it (the medians for the others).
        trained_only: take a source's shape only where training did (``held_out_shape``).
    """

    name: str
    synth: SynthConfig
    hands: tuple[tuple[str, float], ...]
    trained_only: bool


def population(data: DataConfig, stress: bool = False) -> Population:
    """The writers of ``data`` (a build's training population), or its stress variant:
    ``STRESS`` on top of its settings and hands from every shape source it never trained on
    (the trained ones' held-out characters where it trained on them all)."""
    synth = replace(data.synth, digitizer_prob=0.0)
    if not stress:
        return Population("normal", synth, data.shapes, trained_only=True)
    trained = {name for name, _ in data.shapes}
    unseen = tuple((name, 1.0) for name in SHAPE_SOURCES if name not in trained)
    return Population("stress", replace(synth, **STRESS), unseen or data.shapes, trained_only=False)


def load_passages(path: str | Path | None = None) -> list[str]:
    """The held-out passages, one per line (default: the bundled ``lm/heldout.txt``)."""
    p = Path(path) if path is not None else resource_file("lm", "heldout.txt")
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(
            f"cannot read the held-out text {p} ({e}); run resources/lm/regenerate.py"
        ) from e
    passages = [line for line in lines if line.strip()]
    if not passages:
        raise DataError(f"the held-out text {p} has no passages; run resources/lm/regenerate.py")
    return passages


def writable(charset: str) -> str:
    """The characters of ``charset`` that have a stroke template, in charset order."""
    templates = load_templates()
    return "".join(c for c in charset if c in templates)


def frequencies(passages: list[str], charset: str) -> Counter[str]:
    """How often each writable character of ``charset`` occurs in the passages."""
    ok = set(writable(charset))
    return Counter(c for p in passages for c in p if c in ok)


def plan_text(
    passages: list[str], charset: str, writers: int, chars: int, history: int = HISTORY
) -> list[list[tuple[str, str]]]:
    """What each writer writes: (label, context) per ink, in writing order.

    Writer w starts at passage w * (len(passages) // writers) and writes consecutive
    passages (their characters in ``charset``) until it has written ``chars`` inks or its
    share of passages is done; the context is at most ``history`` characters of the passage
    before the ink (written or not), "" at the passage's start.
    """
    if writers < 1 or chars < 1 or history < 0:
        raise ValueError(
            f"writers and chars must be >= 1 and history >= 0, got {writers}, {chars}, {history}"
        )
    ok = set(charset)
    share = max(1, len(passages) // writers)
    plans = []
    for w in range(writers):
        plan: list[tuple[str, str]] = []
        for j in range(share):
            text = passages[(w * share + j) % len(passages)]
            for pos, c in enumerate(text):
                if c in ok and len(plan) < chars:
                    plan.append((c, text[max(0, pos - history) : pos]))
            if len(plan) >= chars:
                break
        plans.append(plan)
    return plans


def hand(pop: Population, writer: int) -> tuple[WriterStyle, str]:
    """Writer ``writer``'s style and shape source (drawn from its own seed)."""
    rng = np.random.default_rng([SEED_BASE, TEXT_TAG, _pop_id(pop), writer])
    style = sample_writer(rng, pop.synth)
    weights = np.array([w for _, w in pop.hands])
    source = pop.hands[int(rng.choice(len(weights), p=weights / weights.sum()))][0]
    return style, source


def write_text(
    charset: str,
    pop: Population,
    writers: int = 24,
    chars: int = 350,
    history: int = HISTORY,
    passages: tuple[str, ...] | None = None,
) -> tuple[tuple[TextSample, ...], ...]:
    """The inks of ``plan_text``, one tuple per writer, each writer in its own hand.
    Deterministic; cached (the inks are read-only), so calling it again is free."""
    texts = passages if passages is not None else tuple(load_passages())
    return _write_text(writable(charset), pop, writers, chars, history, texts)


@functools.lru_cache(maxsize=8)
def _write_text(
    charset: str, pop: Population, writers: int, chars: int, history: int, passages: tuple[str, ...]
) -> tuple[tuple[TextSample, ...], ...]:
    out = []
    for w, plan in enumerate(plan_text(list(passages), charset, writers, chars, history)):
        style, source = hand(pop, w)
        rngs = [
            np.random.default_rng([SEED_BASE, TEXT_TAG, _pop_id(pop), w, k])
            for k in range(len(plan))
        ]
        inks = _synthesize([c for c, _ in plan], rngs, [style] * len(plan), source, pop)
        out.append(tuple(TextSample(i, c, ctx) for i, (c, ctx) in zip(inks, plan, strict=True)))
    return tuple(out)


def write_isolated(
    charset: str,
    pop: Population,
    n: int,
    weighted: bool = False,
    writers: int = 24,
    passages: tuple[str, ...] | None = None,
) -> tuple[TextSample, ...]:
    """``n`` isolated characters (context None) by the same writers in turn (ink i by writer
    i % writers): spread evenly over ``charset``, or drawn by the held-out text's character
    frequency (``weighted``). Deterministic; cached."""
    texts = passages if passages is not None else tuple(load_passages())
    return _write_isolated(writable(charset), pop, n, weighted, writers, texts)


@functools.lru_cache(maxsize=8)
def _write_isolated(
    charset: str, pop: Population, n: int, weighted: bool, writers: int, passages: tuple[str, ...]
) -> tuple[TextSample, ...]:
    if n < 1 or writers < 1 or not charset:
        raise ValueError(
            f"n and writers must be >= 1 and the charset writable, got {n}, "
            f"{writers}, {len(charset)} characters"
        )
    tag = [SEED_BASE, ISOLATED_TAG, _pop_id(pop), int(weighted)]
    if weighted:
        freq = frequencies(list(passages), charset)
        chars = list(freq)
        p = np.array([freq[c] for c in chars], dtype=np.float64)
        labels = [chars[i] for i in np.random.default_rng(tag).choice(len(chars), n, p=p / p.sum())]
    else:
        size = len(charset)
        labels = [charset[i * size // n if n <= size else i % size] for i in range(n)]
    out: list[TextSample | None] = [None] * n
    for w in range(writers):
        style, source = hand(pop, w)
        idx = range(w, n, writers)
        rngs = [np.random.default_rng([*tag, i]) for i in idx]
        inks = _synthesize([labels[i] for i in idx], rngs, [style] * len(idx), source, pop)
        for i, ink in zip(idx, inks, strict=True):
            out[i] = TextSample(ink, labels[i], None)
    return tuple(s for s in out if s is not None)


def _synthesize(
    labels: list[str],
    rngs: list[np.random.Generator],
    styles: list[WriterStyle],
    source: str,
    pop: Population,
) -> list[Ink]:
    if not labels:
        return []
    shapes = _shapes(source)
    medians = load_templates()
    tpls = [
        shapes.strokes(c)
        if c in shapes and not (pop.trained_only and source != "medians" and held_out_shape(c))
        else medians.strokes(c)
        for c in labels
    ]
    out: list[Ink] = []
    for i in range(0, len(labels), 256):
        made = synthesize_batch(
            tpls[i : i + 256], rngs[i : i + 256], styles[i : i + 256], pop.synth
        )
        out += [to_ink(*m) for m in made]
    return out


def _shapes(source: str) -> Templates:
    try:
        return load_shapes(source)
    except DataError:  # a source not built here: the medians
        return load_templates()


def _pop_id(pop: Population) -> int:
    return {"normal": 0, "stress": 1}.get(pop.name, 2)
