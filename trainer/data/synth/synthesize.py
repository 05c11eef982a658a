"""Handwriting synthesizer: stroke templates written the way a fast, joined-up hand writes them.

The model (docs/synthesizer.md): a writer (``WriterStyle``) holds slant, rotation, aspect,
size, speed, digitizer rate, cursiveness, simplification, roundness and neatness across
characters. One character is written by (1) rarely reordering, reversing or splitting
strokes, (2) deciding which consecutive strokes the pen joins (likelier when the next stroke
starts near, and in the direction the pen is already going), dropping the hooks of strokes
it does not join, (3) rounding corners (Chaikin cutting) and deforming each stroke (offset,
scale, rotation, bend, length; joined ends cut short), (4) drawing tangent pen-down
connectors between joined strokes, (5) a smooth elastic field and the writer's linear map,
(6) timing the pen along the path (slow at pen-down ends and in tight curves) and sampling
it at the digitizer rate, and (7) digitizer jitter and dropped points.
``synthesize_batch`` writes many characters in one pass (the same samples, faster)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.ink import Ink, make_ink
from trainer.data.synth import draws
from trainer.data.synth.config import SynthConfig
from trainer.data.synth.handwrite import write_characters
from trainer.data.synth.motion import digitize, pen_motion
from trainer.data.synth.order import habits
from trainer.data.synth.running import NONE, level, loop_plan
from trainer.data.synth.structure import Plan, materialize, restructure
from trainer.data.synth.template import Template, TemplateCache, build
from trainer.data.synth.writer import WriterStyle, sample_writer

#: Geometry of the templates already seen (the loader hands out the same lists every time).
_CACHE = TemplateCache()
#: Templates written in another order or direction, by (template list, plan); cleared when
#: it reaches ``_VARIANTS_SIZE`` (about 17 KB each): the habits give each character a few
#: orders, so most reordered characters are prepared once.
_VARIANTS: dict[tuple[int, Plan], tuple[list[np.ndarray], SynthConfig, Template]] = {}
_VARIANTS_SIZE = 6000


def _variant(strokes: list[np.ndarray], plan: Plan, config: SynthConfig) -> Template:
    key = (id(strokes), plan)
    hit = _VARIANTS.get(key)
    if hit is not None and hit[0] is strokes and (hit[1] is config or hit[1] == config):
        return hit[2]
    todo, broken = materialize(strokes, plan)
    tpl = build(todo, config, broken)
    if len(_VARIANTS) >= _VARIANTS_SIZE:
        _VARIANTS.clear()
    _VARIANTS[key] = (strokes, config, tpl)
    return tpl


def synthesize(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    style: WriterStyle,
    config: SynthConfig = SynthConfig(),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Write one character from its stroke template as ``style``'s writer would.

    Args:
        strokes: the template, one (k_i, 2) array per stroke in standard order and
            direction, unit em box, y down. Not modified. A template list handed in again
            (the same objects) reuses its cached geometry.
    Returns:
        xy (N, 2) float64 (y down, about the unit box times ``style.size``), sid (N,) int32
        pen-down stroke index (0, non-decreasing, contiguous), t (N,) float64 ms,
        non-decreasing from 0. Deterministic for a given rng state; the same as
        ``synthesize_batch([strokes], [rng], [style], config)[0]``.
    """
    return synthesize_batch([strokes], [rng], [style], config)[0]


def _plan(
    strokes: list[np.ndarray], rng: np.random.Generator, style: WriterStyle, config: SynthConfig
) -> tuple[np.ndarray, Plan | None, int]:
    """A character's first draws (``draws.uniform``), what it writes: the plan of order,
    directions and breaks (``structure.restructure``), None for the template as it is, and
    its running level (``running.level``)."""
    u, u_restructure = draws.uniform(rng, len(strokes))
    # broken strokes come from careful writers, who lift the pen where others join
    split_p = config.split_prob * (1.0 - style.cursiveness) ** 8
    # a writer's stroke-order habits (drawn only when the config or the writer has them)
    habit = habits(strokes, style, rng) if config.order_habits or style.has_habits else None
    plan = restructure(len(strokes), u_restructure, rng, config, split_p, habit)
    run_u = draws.run_uniform(u)
    run = level(run_u, style, config)
    if run != NONE:
        plan = loop_plan(strokes, plan, run_u, style, config)
    return u, plan, run


def standard_order(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    style: WriterStyle,
    config: SynthConfig = SynthConfig(),
) -> bool:
    """Whether ``synthesize(strokes, rng, style, config)`` writes every stroke in its standard
    place and direction (a stroke broken in two still counts as standard). Reads a copy of
    rng: call it with the generator about to be handed to ``synthesize``."""
    copy = np.random.Generator(type(rng.bit_generator)())
    copy.bit_generator.state = rng.bit_generator.state
    plan = _plan(strokes, copy, style, config)[1]
    return plan is None or (plan[0] == tuple(range(len(strokes))) and not any(plan[1]))


def synthesize_batch(
    templates: Sequence[list[np.ndarray]],
    rngs: Sequence[np.random.Generator],
    styles: Sequence[WriterStyle],
    config: SynthConfig = SynthConfig(),
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Write several characters at once, character b from ``rngs[b]`` and ``styles[b]``.

    Gives exactly what ``synthesize`` gives for each (template, rng, style), several times
    faster per character (numpy's per-call cost is shared by the batch); use it when a
    data loader can ask for many samples at a time.
    """
    if not len(templates) == len(rngs) == len(styles) > 0:
        raise ValueError("synthesize_batch needs as many templates, rngs and styles, at least one")
    tpls, cut, runs = [], [], []
    for strokes, rng, style in zip(templates, rngs, styles, strict=True):
        if len(strokes) == 0:
            raise ValueError("a template needs at least one stroke")
        u, plan, run = _plan(strokes, rng, style, config)
        runs.append(run)
        tpl = _CACHE.get(strokes, config) if plan is None else _variant(strokes, plan, config)
        k = len(tpl.counts)
        tpls.append(tpl)
        cut.append(draws.split(u, draws.normal(rng, k, config), k))
    out = write_characters(tpls, cut, list(styles), list(rngs), config, runs if any(runs) else None)
    if config.tail_prob > 0 or config.lead_prob > 0:
        out = [
            pen_motion(*o, rng, style.cursiveness, config)
            for o, rng, style in zip(out, rngs, styles, strict=True)
        ]
    if config.digitizer_prob > 0:
        out = [digitize(*o, rng, config) for o, rng in zip(out, rngs, strict=True)]
    return out


def to_ink(xy: np.ndarray, sid: np.ndarray, t: np.ndarray, label: str | None = None) -> Ink:
    """The engine's validated Ink of a synthesized character (strokes of [x, y, t])."""
    cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
    pts = np.concatenate([xy, t[:, None]], axis=1)
    return make_ink(np.split(pts, cut), label)


def synthesize_ink(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    config: SynthConfig,
    label: str | None = None,
) -> Ink:
    """One synthesized character as a validated engine Ink (a fresh writer from rng)."""
    return to_ink(*synthesize(strokes, rng, sample_writer(rng, config), config), label)
