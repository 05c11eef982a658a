"""The synthesizer's kernel: a batch of characters written one after the other.

Every numpy call here costs a few microseconds whatever the size of its arrays, so the
characters of a batch go through each step together: their templates are stacked into one
(``template.stack``, the gap between two characters never joined) and every
per-character parameter is gathered per stroke or per point. A batch of one character is
the same computation (to rounding), so ``synthesize`` and ``synthesize_batch`` agree; its
cheaper forms are the ``_one_*`` functions.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from trainer.data.synth import draws, running
from trainer.data.synth.geometry import deform, join_strokes
from trainer.data.synth.template import Template, stack
from trainer.data.synth.timing import Motion, sample_trajectory

if TYPE_CHECKING:
    from trainer.data.synth.config import SynthConfig
    from trainer.data.synth.writer import WriterStyle

Sample = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Least chord / length of a stroke that the pen lifts early from (``_lift_early``): one
#: that turns a corner (横折, chord about 0.7 of it) would shrink about its chord.
LIFT_STRAIGHT = 0.8


class StyleColumns(NamedTuple):
    """The writers' numbers the kernel uses, one (B,) float64 array per field."""

    cursiveness: np.ndarray
    simplify: np.ndarray
    roundness: np.ndarray
    neatness: np.ndarray
    speed: np.ndarray  # em per second: the writer's speed times its size
    rate: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, styles: list[WriterStyle]) -> StyleColumns:
        table = np.array(
            [
                (
                    s.cursiveness,
                    s.simplify,
                    s.roundness,
                    s.neatness,
                    s.speed * s.size,
                    s.rate,
                    s.size,
                )
                for s in styles
            ]
        )
        return cls(*table.T)


class BatchDraws(NamedTuple):
    """The ``draws.Draws`` of B characters laid end to end (K strokes in all)."""

    joins: np.ndarray  # (K-1,) uniforms; a gap between two characters gets a placeholder
    hooks: np.ndarray  # (K,) uniforms
    strokes: np.ndarray  # (K * NORMAL_PER_STROKE,) normals
    characters: np.ndarray  # (B, draws per character) normals

    @classmethod
    def of(cls, each: list[draws.Draws]) -> BatchDraws:
        if len(each) == 1:
            d = each[0]
            return cls(d.joins, d.hooks, d.strokes, d.character[None])
        gap = np.ones(1)  # the join across two characters, forced off in _joins
        return cls(
            np.concatenate([x for d in each for x in (d.joins, gap)][:-1]),
            np.concatenate([d.hooks for d in each]),
            np.concatenate([d.strokes for d in each]),
            np.stack([d.character for d in each]),
        )


def write_characters(
    tpls: list[Template],
    character_draws: list[draws.Draws],
    styles: list[WriterStyle],
    rngs: list[np.random.Generator],
    config: SynthConfig,
    runs: list[int] | None = None,
) -> list[Sample]:
    """Write B characters: deform, join, warp, time and digitize their strokes.

    Args:
        tpls: the prepared template of each character (K_b strokes).
        character_draws: the random draws of each (``draws.split``).
        styles, rngs: each character's writer and generator (for the digitizer noise).
        runs: each character's running level (``running.level``); None: none runs.
    Returns:
        per character (xy (N, 2) float64, sid (N,) int32, t (N,) float64 ms).
    """
    n_chars = len(tpls)
    tpl = stack(tpls)
    strokes_per_char = [len(t.counts) for t in tpls]
    stroke_char = np.arange(n_chars).repeat(strokes_per_char)  # character of each stroke
    style = StyleColumns.of(styles)
    mess = config.mess_min + (config.mess_max - config.mess_min) * (1.0 - style.neatness)
    drawn = BatchDraws.of(character_draws)
    join = _joins(tpl, drawn.joins, style.cursiveness, stroke_char, strokes_per_char)
    roundness_of = style.roundness
    if runs is not None:
        run = np.asarray(runs)
        join = running.joins(
            join, drawn.joins, tpl.join_w, tpl.run_part, run[stroke_char[:-1]], config
        )
        if len(strokes_per_char) > 1:
            join[np.cumsum(strokes_per_char)[:-1] - 1] = False
        roundness_of = np.where(run > 0, np.maximum(roundness_of, config.run_round), roundness_of)
    # a hook the pen does not carry into a join is dropped, a dot becomes a tick
    hook = tpl.hook & (drawn.hooks < style.simplify[stroke_char])
    hook[:-1] &= ~join
    stroke_z = (
        drawn.strokes.reshape(-1, draws.NORMAL_PER_STROKE) * (tpl.sd * mess[stroke_char, None])
    ).view(np.complex128)
    # the pen turns towards the next stroke before reaching the end of a joined one
    corner_cut = join * config.join_cut
    if runs is not None:  # a running hand turns earlier still: strokes abbreviated
        corner_cut = np.where(run[stroke_char[:-1]] > 0, join * config.run_cut, corner_cut)
    stroke_z[:-1, 3] -= corner_cut
    stroke_z[1:, 2] -= 1j * corner_cut
    if config.lift_cut > 0 and len(join):
        _lift_early(tpl, stroke_z, join, stroke_char, style.cursiveness, config)
    roundness = roundness_of[0] if n_chars == 1 else roundness_of[stroke_char].repeat(tpl.counts)
    points = deform(tpl, stroke_z, roundness, hook if hook.any() else None, config.fold_fix)
    if config.parts_vary and tpl.part.any():
        part_z = draws.parts(drawn.characters, config.elastic_waves)
        points = _move_parts(points, tpl, part_z, mess, stroke_char, config)
    points, group, speed, stroke, stroke_group = join_strokes(
        points, tpl, join, np.exp(stroke_z[:-1, 3].imag) * config.reach_mean
    )
    point_char = stroke_char[stroke]
    points = _warp(points, point_char, drawn.characters, styles, mess, config)
    motion = Motion(style.speed, style.rate, config.end_speed, config.pen_up_ms)
    pts, sid, t, group_char = sample_trajectory(points, group, speed, point_char, motion)
    if config.wobble > 0:
        pts = _wobble(pts, group_char[sid], drawn.characters, style, config)
    if config.curl > 0:
        _curl(pts, sid, stroke_group, drawn.strokes, style.neatness[group_char], config)
    xy, sid, t, sample_char = _digitize(pts, sid, t, group_char, rngs, style, mess, config)
    if n_chars == 1:
        return [(xy, sid.astype(np.int32), np.rint(t - t[0]))]
    return _split_characters(xy, sid, t, sample_char, stroke_group, strokes_per_char)


def _joins(
    tpl: Template,
    join_u: np.ndarray,
    cursiveness: np.ndarray,
    stroke_char: np.ndarray,
    strokes_per_char: list[int],
) -> np.ndarray:
    """(K-1,) which strokes the pen joins to the next: likelier for a cursive writer and
    when the next start is near and ahead (``Template.join_w``); never from one character
    into the next."""
    c = np.minimum(np.maximum(cursiveness, 1e-4), 1 - 1e-4)
    join = join_u * (1.0 + tpl.join_w * ((1.0 - c) / c)[stroke_char[:-1]]) < 1.0
    if len(strokes_per_char) > 1:
        join[np.cumsum(strokes_per_char)[:-1] - 1] = False
    return join


def _lift_early(
    tpl: Template,
    stroke_z: np.ndarray,
    join: np.ndarray,
    stroke_char: np.ndarray,
    fluency: np.ndarray,
    config: SynthConfig,
) -> None:
    """Shorten the strokes on either side of a pen-up whose jump runs back against them.

    A fast writer lifts the pen before the end of a stroke that heads away from the next
    start, and puts it down past the start of a next stroke that heads back towards the
    pen: each end comes in by ``lift_cut`` of the stroke's chord times minus the cosine of
    the chord with the jump (none where it heads on), times a factor rising with the
    writer's fluency from ``lift_neat`` (0.6-1.4 at 0.6, as ``motion.pen_motion``'s tails),
    only at pen-ups within a character. It is the pen-up side of ``join_cut``: a tail
    shortens a jump only by adding at least as much ink, this shortens it and saves ink.
    A near-straight stroke is scaled about the point of its chord that stays (its end curls
    kept), folded into its draws ``stroke_z`` (K, 4) (changed in place): log scale and
    offset. No draws: the layout is unchanged.
    A stroke that turns a corner would shrink about its chord, and a twin's damped strokes
    carry what tells it from its twin: those are written whole.
    """
    scales = draws.stroke_scales(config)
    first, last = tpl.z0[tpl.starts], tpl.z0[tpl.ends]
    chord = last - first
    span = np.abs(chord)
    # written whole: a stroke that turns a corner (chord under LIFT_STRAIGHT of its length),
    # and the strokes a twin is told apart by (``confusable.Twin``: draws damped)
    whole = (span <= LIFT_STRAIGHT * np.abs(tpl.len_entry)) | (tpl.sd < scales).any(axis=1)
    way = np.where(whole, 0.0, chord / np.maximum(span, 1e-12))
    jump = first[1:] - last[:-1]
    jump /= np.maximum(np.abs(jump), 1e-12)
    lifted = (~join & (stroke_char[:-1] == stroke_char[1:])) * (
        config.lift_cut
        * (config.lift_neat + 2 * (1 - config.lift_neat) * fluency[stroke_char[:-1]])
    )
    cut = np.zeros((2, len(chord)))  # off the start, off the end (fraction of the chord)
    cut[0, 1:] = lifted * np.maximum(-(jump * way[1:].conjugate()).real, 0.0)
    cut[1, :-1] = lifted * np.maximum(-(jump * way[:-1].conjugate()).real, 0.0)
    cut *= np.minimum(1.0, 0.5 / np.maximum(cut.sum(axis=0), 1e-12))  # half the chord kept
    # p -> a + k (p - a), a the point of the chord that stays, before the stroke's own noise
    stroke_z[:, 0] += np.exp(stroke_z[:, 1]) * chord * (0.5 * (cut[0] - cut[1]))
    stroke_z[:, 1] += np.log1p(-cut.sum(axis=0))


def _hashed(normals: np.ndarray) -> np.ndarray:
    """Uniforms on [0, 1) from normal draws (the fraction of a large multiple): effects that
    are switched on draw nothing, so the rest of a character's draws stay as they were."""
    return np.modf(np.abs(normals) * 7919.0)[0]


def _curl(
    pts: np.ndarray,
    sid: np.ndarray,
    stroke_group: np.ndarray,
    stroke_draws: np.ndarray,
    neatness: np.ndarray,
    config: SynthConfig,
) -> None:
    """The curl of a pen-down stroke's ends: the pen lands, and lifts, turning.

    The first segment of every pen-down stroke of 3 samples or more is turned about its
    second sample by an angle, the last about its last but one: a normal of standard
    deviation ``config.curl`` (radians) times 1.5 - neatness (the writer's: 0.5-1.5), so
    the stroke turns into its course where the pen lands and out of it where it lifts, as
    real strokes do (0.3-0.4 radians in their first and last eighth on real neat writers;
    ours 0.1), at the same length. No draws (every other draw stays): its two uniforms a
    stroke are hashed (``_hashed``) from the draws ``stroke_draws`` of the group's first
    stroke, turned into normals (an approximation: a sum of two uniforms). Changes the
    samples ``pts`` (n,) complex in place; ``neatness`` (G,) per pen-down group.
    """
    n = len(pts)
    first = np.flatnonzero(np.diff(sid, prepend=-1))  # (G,) each group's first sample
    last = np.append(first[1:], n) - 1
    ok = (last - first >= 2).nonzero()[0]
    if len(ok) == 0:
        return
    lead = np.flatnonzero(np.diff(stroke_group, prepend=-1))  # first stroke of each group
    z = _hashed(stroke_draws.reshape(len(stroke_group), -1)[lead[ok], :4])
    z = (z[:, :2] + z[:, 2:] - 1.0) * math.sqrt(6.0)  # (G', 2): sd 1, triangular
    angle = config.curl * (1.5 - neatness[ok])[:, None] * z
    turn = np.exp(1j * angle)
    f, e = first[ok], last[ok]
    pts[f] = pts[f + 1] + (pts[f] - pts[f + 1]) * turn[:, 0]
    pts[e] = pts[e - 1] + (pts[e] - pts[e - 1]) * turn[:, 1]


#: Frequency factors of the two sine waves of each axis of ``_wobble`` (irregular sum).
WOBBLE_WAVES = np.array([0.7, 1.3, 0.8, 1.2])


def _wobble(
    pts: np.ndarray,
    sample_char: np.ndarray,
    character_draws: np.ndarray,
    style: StyleColumns,
    config: SynthConfig,
) -> np.ndarray:
    """The hand's wobble: each sample moved by a smooth 2-D wander along the ink.

    Each axis is a sum of two sines of the path's arc length (random phases, wavelengths
    ``config.wobble_len`` over 0.7-1.3 of the character's size, per character), of
    amplitude ``config.wobble`` times the size, times 1.5 - neatness (0.5-1.5: the
    writer's) and a per-character log-normal factor (sd 0.5). A wave of the ink's own
    scale: a stroke turns more without getting longer or less straight (amplitude over
    wavelength ~0.02). No draws: its 5 uniforms a character (4 phases, the amplitude) are
    hashed from the character's draws (``_hashed``). Returns the moved (n,) complex samples.
    """
    u = _hashed(character_draws[:, :5])
    size = style.size
    amp = (config.wobble * size * (1.5 - style.neatness)) * np.exp(
        0.5 * math.sqrt(3.0) * (2.0 * u[:, 4] - 1.0)
    )
    arc = np.zeros(len(pts))
    np.add.accumulate(np.abs(pts[1:] - pts[:-1]), out=arc[1:])
    k = (2.0 * np.pi / config.wobble_len) * WOBBLE_WAVES  # radians per size of ink
    wave = np.sin((arc / size[sample_char])[:, None] * k + 2.0 * np.pi * u[sample_char, :4])
    a = (0.5 * amp)[sample_char]
    return pts + a * (wave[:, 0] + wave[:, 1]) + 1j * a * (wave[:, 2] + wave[:, 3])


def _warp(
    points: np.ndarray,
    point_char: np.ndarray,
    character_z: np.ndarray,
    styles: list[WriterStyle],
    mess: np.ndarray,
    config: SynthConfig,
) -> np.ndarray:
    """A smooth elastic field, then the writer's (and this character's) linear map."""
    n_chars, n_waves = len(styles), config.elastic_waves
    w = draws.waves(character_z, n_waves).reshape(n_chars, draws.PER_WAVE, n_waves)
    wave = np.empty((n_chars, 3, n_waves))  # per wave: frequency x, y and phase
    wave[:, :2] = w[:, :2] * config.elastic_freq
    wave[:, 2] = w[:, 2] * np.pi
    amp = (config.elastic_amp / math.sqrt(2.0 * n_waves)) * mess
    wobble = config.sample_sd * draws.wobble(character_z)
    lin = np.array([_linear_map(s, wobble[b]) for b, s in enumerate(styles)])
    wave_amp = (w[:, 3] + 1j * w[:, 4]) * amp[:, None]
    if n_chars == 1:
        return _one_warp(points, wave[0], wave_amp[0], lin[0])
    e = wave[point_char]
    phase = points.real[:, None] * e[:, 0] + points.imag[:, None] * e[:, 1] + e[:, 2]
    points = points + (np.sin(phase) * wave_amp[point_char]).sum(axis=1)
    lin_at = lin[point_char]  # (n, 3): alpha, beta, offset of each point's character
    return lin_at[:, 0] * points + lin_at[:, 1] * points.conj() + lin_at[:, 2]


def _one_warp(
    points: np.ndarray, wave: np.ndarray, wave_amp: np.ndarray, lin: np.ndarray
) -> np.ndarray:
    """``_warp``'s sums for one character, as two small matrix products."""
    n_waves = len(wave_amp)
    xy = points.view(np.float64).reshape(-1, 2)
    d = np.sin(xy @ wave[:2] + wave[2]) @ wave_amp.view(np.float64).reshape(n_waves, 2)
    points = points + d.view(np.complex128).ravel()
    alpha, beta, off = lin.tolist()
    return alpha * points + beta * points.conj() + off


def _digitize(
    pts: np.ndarray,
    sid: np.ndarray,
    t: np.ndarray,
    group_char: np.ndarray,
    rngs: list[np.random.Generator],
    style: StyleColumns,
    mess: np.ndarray,
    config: SynthConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digitizer: jitter and lost samples (never a stroke's first or last).

    Returns xy (N, 2), sid, t and the character of each sample, the lost ones left out."""
    n_chars = len(rngs)
    n = len(pts)
    sample_char = group_char[sid]
    per_char = np.bincount(sample_char, minlength=n_chars)
    noise = [
        (rng.standard_normal((k, 2)), rng.random(k)) for rng, k in zip(rngs, per_char, strict=True)
    ]
    xy = pts.view(np.float64).reshape(n, 2)
    if n_chars == 1:
        jitter, lost_u = noise[0]
    else:
        jitter = np.concatenate([a for a, _ in noise])
        lost_u = np.concatenate([b for _, b in noise])
    xy += jitter * (config.jitter_sd * mess * style.size)[sample_char, None]
    keep = lost_u >= config.drop_prob
    edge = sid[1:] != sid[:-1]
    keep[:-1] |= edge
    keep[1:] |= edge
    keep[0] = keep[-1] = True
    return xy[keep], sid[keep], t[keep], sample_char[keep]


def _split_characters(
    xy: np.ndarray,
    sid: np.ndarray,
    t: np.ndarray,
    sample_char: np.ndarray,
    stroke_group: np.ndarray,
    strokes_per_char: list[int],
) -> list[Sample]:
    """Cut the batch's samples per character, each one's strokes from 0 and time from 0 ms."""
    n_chars = len(strokes_per_char)
    bounds = np.zeros(n_chars + 1, dtype=np.intp)
    np.add.accumulate(np.bincount(sample_char, minlength=n_chars), out=bounds[1:])
    first_stroke = np.zeros(n_chars, dtype=np.intp)
    np.add.accumulate(strokes_per_char[:-1], out=first_stroke[1:])
    sid = (sid - stroke_group[first_stroke][sample_char]).astype(np.int32)
    t = np.rint(t - t[bounds[:-1]][sample_char])
    b = bounds.tolist()
    return [(xy[i:j], sid[i:j], t[i:j]) for i, j in itertools.pairwise(b)]


def _move_parts(
    points: np.ndarray,
    tpl: Template,
    part_z: np.ndarray,
    mess: np.ndarray,
    stroke_char: np.ndarray,
    config: SynthConfig,
) -> np.ndarray:
    """Each character's two components moved and scaled as wholes (``Template.part``).

    part_z: (B, 4) normal draws per character: the shift apart along the axis between the
    components, the log scale of the first and of the second, the offset across the axis.
    Strokes of no two-part layout (part 0) stay. Returns the moved (M,) complex points.
    """
    z = part_z[stroke_char] * mess[stroke_char, None]  # (K, 4)
    side = tpl.part.astype(np.float64)
    scale = np.exp(config.part_scale_sd * np.where(side > 0, z[:, 1], z[:, 2]))
    move = (
        tpl.part_axis
        * side
        * (config.part_offset_sd * 1j * z[:, 3] - config.part_shift_sd * z[:, 0])
    )
    scale = np.where(side != 0, scale, 1.0)
    c = tpl.part_centre
    per = np.stack([scale, c * (1.0 - scale) + move]).repeat(tpl.counts, axis=1)
    return per[0] * points + per[1]


def _linear_map(style: WriterStyle, wobble: np.ndarray) -> tuple[complex, complex, complex]:
    """The writer's shear, aspect, rotation and size about the box centre (0.5, 0.5).

    The real matrix size * R(rotation) @ [[a, a * slant], [0, 1 / a]] with a = sqrt(aspect)
    (column vectors, y down); ``wobble`` (3,) adds this character's slant, rotation and log
    aspect deviations. As complex numbers the map is z -> alpha z + beta conj(z) + off:
    [[p, q], [r, s]] is alpha = (p + s + i(r - q)) / 2, beta = (p - s + i(r + q)) / 2; off
    takes the centre to (0.5, 0.5) * size. Returns (alpha, beta, off).
    """
    slant = style.slant + float(wobble[0])
    rot = style.rotation + float(wobble[1])
    a = math.sqrt(style.aspect * math.exp(float(wobble[2])))
    c, s = math.cos(rot) * style.size, math.sin(rot) * style.size
    p, q, r, t = c * a, c * a * slant - s / a, s * a, s * a * slant + c / a
    alpha, beta = complex(p + t, r - q) / 2, complex(p - t, r + q) / 2
    centre = complex(0.5, 0.5)
    off = 0.5 * style.size * complex(1, 1) - alpha * centre - beta * centre.conjugate()
    return alpha, beta, off
