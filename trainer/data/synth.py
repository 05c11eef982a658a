"""Handwriting synthesizer: stroke templates written the way a fast, joined-up hand writes them.

The model (docs/synthesizer.md): a writer (``WriterStyle``) holds slant, rotation, aspect,
size, speed, digitizer rate, cursiveness, simplification, roundness and neatness across
characters. One character is written by (1) rarely reordering, reversing or splitting
strokes, (2) deciding which consecutive strokes the pen joins (likelier when the next stroke
starts near, and in the direction the pen is already going), dropping the hooks of strokes
it does not join, (3) deforming each stroke (offset, scale, rotation, bend, length), adding a
smooth elastic field and the writer's affine transform, (4) drawing pen-down connectors
between joined strokes, (5) rounding corners by Chaikin cutting, (6) timing the pen along
the path with bell-shaped, curvature-slowed speed and sampling it at the digitizer rate, and
(7) adding digitizer jitter and dropped points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.ink import Ink, make_ink
from trainer.data.synth_geometry import deform, join_strokes
from trainer.data.synth_structure import restructure
from trainer.data.synth_template import TemplateCache, build
from trainer.data.synth_timing import Motion, sample_trajectory

#: Geometry of the templates already seen (the loader hands out the same lists every time).
_CACHE = TemplateCache()


@dataclass(frozen=True)
class SynthConfig:
    """Every knob of the synthesizer (lengths in em, the template's unit box; angles radians).

    Attributes:
        slant_sd: writer's shear x += slant * (y - 0.5), standard deviation.
        rotation_mean: writer's rotation mean; negative lifts horizontals to the right.
        rotation_sd: writer's rotation standard deviation.
        aspect_log_mean: mean of the writer's log(width / height) stretch.
        aspect_log_sd: its standard deviation.
        size_log_sd: standard deviation of the writer's log size (1 = the em box).
        spacing_log_mean: log of the median distance the pen travels between two samples on a
            straight run (em); sets the number of points.
        spacing_log_sd: its standard deviation between writers.
        rate_min_hz: slowest digitizer rate; writers draw uniformly in [min, max].
        rate_max_hz: fastest digitizer rate.
        cursive_a: Beta(a, b) of the writer's cursiveness (base probability to join).
        cursive_b: see cursive_a.
        neat_a: Beta(a, b) of the writer's neatness (1: every noise at its smallest).
        neat_b: see neat_a.
        mess_min: noise multiplier of the neatest writer.
        mess_max: noise multiplier of the messiest writer.
        sample_sd: per-character wobble of a writer's slant, rotation and log aspect.
        offset_sd: per-stroke offset (em) at noise multiplier 1.
        scale_log_sd: per-stroke log scale.
        stroke_rotation_sd: per-stroke rotation.
        bend_sd: per-stroke bend, sideways push of the middle as a fraction of its length.
        extend_sd: per-stroke lengthening (or shortening) at each end, fraction of length.
        elastic_amp: amplitude of the smooth displacement field (em) at multiplier 1.
        elastic_freq: spatial frequency of its waves (radians per em; 3 ~ one bump per em).
        elastic_waves: number of sine waves summed.
        join_dist_coef: how fast the log-odds of joining fall with the gap length (per em).
        join_dist_ref: gap length (em) at which joining has the writer's base odds.
        join_dir_coef: log-odds added when the next stroke lies straight ahead of the pen.
        reach_mean: connector control arm as a fraction of the gap (roundness of joins).
        reach_sd: its per-connector log standard deviation.
        hook_frac: a last segment shorter than this fraction of its stroke, turning back by
            more than 90 degrees, is a hook.
        round_min: Chaikin cut fraction (corner rounding) of the least cursive writer.
        round_max: of the most cursive writer.
        swap_prob: probability that a character has two adjacent strokes in swapped order.
        reverse_prob: probability that a character has one stroke written backwards.
        split_prob: probability that one stroke is broken in two at its sharpest corner.
        jitter_sd: digitizer noise per point (em) at multiplier 1.
        drop_prob: probability that an interior sample is lost.
        end_speed: pen speed at the ends of a pen-down stroke, fraction of cruising speed.
        corner_radius: radius of curvature (em) below which the pen slows (as R^(1/3)).
        min_speed: the slowest a corner makes the pen, fraction of cruising speed.
        pen_up_ms: pause between strokes besides the pen-up travel (timestamps only).
    """

    slant_sd: float = 0.12
    rotation_mean: float = -0.04
    rotation_sd: float = 0.05
    aspect_log_mean: float = -0.14
    aspect_log_sd: float = 0.18
    size_log_sd: float = 0.1
    spacing_log_mean: float = -2.33
    spacing_log_sd: float = 0.25
    rate_min_hz: float = 75.0
    rate_max_hz: float = 150.0
    cursive_a: float = 2.2
    cursive_b: float = 2.0
    neat_a: float = 2.0
    neat_b: float = 2.0
    mess_min: float = 0.5
    mess_max: float = 1.6
    sample_sd: float = 0.03
    offset_sd: float = 0.02
    scale_log_sd: float = 0.08
    stroke_rotation_sd: float = 0.06
    bend_sd: float = 0.05
    extend_sd: float = 0.06
    elastic_amp: float = 0.015
    elastic_freq: float = 3.0
    elastic_waves: int = 3
    join_dist_coef: float = 6.0
    join_dist_ref: float = 0.3
    join_dir_coef: float = 0.8
    reach_mean: float = 0.3
    reach_sd: float = 0.3
    hook_frac: float = 0.3
    round_min: float = 0.1
    round_max: float = 0.25
    swap_prob: float = 0.04
    reverse_prob: float = 0.03
    split_prob: float = 0.03
    jitter_sd: float = 0.002
    drop_prob: float = 0.03
    end_speed: float = 0.25
    corner_radius: float = 0.12
    min_speed: float = 0.3
    pen_up_ms: float = 60.0


@dataclass(frozen=True)
class WriterStyle:
    """One writer's habits, held across every character they write.

    Attributes:
        slant: shear x += slant * (y - 0.5); positive leans verticals' tops to the left.
        rotation: radians, y down (negative lifts horizontals to the right).
        aspect: width / height stretch factor.
        size: scale of the character (1 = the em box).
        speed: cruising pen speed, em/s.
        rate: digitizer sampling rate, Hz.
        cursiveness: base probability of joining one stroke to the next, 0..1.
        simplify: probability of dropping a hook the pen does not carry into a join, 0..1.
        roundness: Chaikin cut fraction of corners, 0.05..0.3.
        neatness: 0..1; scales every deformation and noise (1: the least).
    """

    slant: float = 0.0
    rotation: float = 0.0
    aspect: float = 1.0
    size: float = 1.0
    speed: float = 5.0
    rate: float = 100.0
    cursiveness: float = 0.4
    simplify: float = 0.4
    roundness: float = 0.15
    neatness: float = 0.5


def sample_writer(rng: np.random.Generator, config: SynthConfig = SynthConfig()) -> WriterStyle:
    """Draw one writer's style from the population the config describes."""
    z = rng.standard_normal(6)
    u = rng.random(2)
    cursive = float(rng.beta(config.cursive_a, config.cursive_b))
    neat = float(rng.beta(config.neat_a, config.neat_b))
    rate = config.rate_min_hz + (config.rate_max_hz - config.rate_min_hz) * float(u[0])
    spacing = float(np.exp(config.spacing_log_mean + config.spacing_log_sd * z[4]))
    return WriterStyle(
        slant=float(config.slant_sd * z[0]),
        rotation=float(config.rotation_mean + config.rotation_sd * z[1]),
        aspect=float(np.exp(config.aspect_log_mean + config.aspect_log_sd * z[2])),
        size=float(np.exp(config.size_log_sd * z[3])),
        speed=spacing * rate,
        rate=rate,
        cursiveness=cursive,
        simplify=float(np.clip(cursive + 0.3 * z[5], 0.0, 1.0)),
        roundness=config.round_min + (config.round_max - config.round_min) * float(
            np.clip(0.5 * cursive + 0.5 * u[1], 0.0, 1.0)
        ),
        neatness=neat,
    )


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
        non-decreasing from 0. Deterministic for a given rng state.
    """
    if len(strokes) == 0:
        raise ValueError("a template needs at least one stroke")
    u = rng.random(2 * len(strokes) + 5)
    todo = restructure(strokes, u[-3:], rng, config)
    tpl = _CACHE.get(todo, config) if todo is strokes else build(todo, config)
    K = len(tpl.counts)
    n_w = config.elastic_waves
    mess = config.mess_min + (config.mess_max - config.mess_min) * (1.0 - style.neatness)
    z = rng.standard_normal(8 * K + 3 + 5 * n_w)

    # which strokes the pen joins to the next: likelier when the next start is near and ahead
    c = min(max(style.cursiveness, 1e-4), 1 - 1e-4)
    join = u[: K - 1] * (1.0 + tpl.join_w * ((1.0 - c) / c)) < 1.0
    # a hook the pen does not carry into a join is dropped
    hook = tpl.hook & (u[K - 1 : 2 * K - 1] < style.simplify)
    hook[:-1] &= ~join
    zs = (z[: 8 * K].reshape(K, 8) * (tpl.sd * mess)).view(np.complex128)
    P = deform(tpl, zs, style.roundness, hook if hook.any() else None)
    P, g, f = join_strokes(P, tpl, join, np.exp(zs[:-1, 3].imag) * config.reach_mean)

    # smooth elastic field, then the writer's (and this character's) linear map, on x, y
    w = z[8 * K + 3 :].reshape(5, n_w)
    xy = P.view(np.float64).reshape(-1, 2)
    amp = config.elastic_amp * mess / np.sqrt(2.0 * n_w)
    xy = xy + np.sin(xy @ (w[:2] * config.elastic_freq) + w[2] * np.pi) @ (w[3:].T * amp)
    m, off = _linear_map(style, config.sample_sd * z[8 * K : 8 * K + 3])
    P = (xy @ m + off).view(np.complex128).ravel()

    size = style.size
    motion = Motion(style.speed * size, style.rate, config.end_speed, config.pen_up_ms,
                    style.speed * size)
    pts, sid, t = sample_trajectory(P, g, f, motion)

    # digitizer: jitter and lost samples (never a stroke's first or last)
    n = len(pts)
    xy = pts.view(np.float64).reshape(n, 2)
    xy += rng.standard_normal((n, 2)) * (config.jitter_sd * mess * size)
    keep = rng.random(n) >= config.drop_prob
    edge = sid[1:] != sid[:-1]
    keep[:-1] |= edge
    keep[1:] |= edge
    keep[0] = keep[-1] = True
    return xy[keep], sid[keep], np.rint(t[keep])


def _linear_map(style: WriterStyle, wobble: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The writer's shear, aspect, rotation and size about the box centre (0.5, 0.5).

    Column-vector matrix size * R(rotation) @ [[a, a * slant], [0, 1 / a]] with
    a = sqrt(aspect) (y down); ``wobble`` (3,) adds this character's slant, rotation and log
    aspect deviations. Returns (M (2, 2), offset (2,)) for row vectors: p' = p @ M + offset,
    which maps the centre to (0.5, 0.5) * size.
    """
    slant = style.slant + float(wobble[0])
    rot = style.rotation + float(wobble[1])
    a = math.sqrt(style.aspect * math.exp(float(wobble[2])))
    c, s = math.cos(rot) * style.size, math.sin(rot) * style.size
    m00, m01, m10, m11 = c * a, c * a * slant - s / a, s * a, s * a * slant + c / a
    h = 0.5 * style.size
    return (
        np.array([[m00, m10], [m01, m11]]),
        np.array([h - 0.5 * (m00 + m01), h - 0.5 * (m10 + m11)]),
    )


def to_ink(xy: np.ndarray, sid: np.ndarray, t: np.ndarray, label: str | None = None) -> Ink:
    """The engine's validated Ink of a synthesized character (strokes of [x, y, t])."""
    cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
    pts = np.concatenate([xy, t[:, None]], axis=1)
    return make_ink(np.split(pts, cut), label)
