"""The synthesizer's pipeline over a batch of characters written one after the other.

Every numpy call here costs a few microseconds whatever the size of its arrays, so the
characters of a batch go through each step together: their templates are stacked into one
(``template.stack``, the gap between two characters never joined) and every
per-character parameter is gathered per stroke or per point. A batch of one character is
the same computation (to rounding), so ``synthesize`` and ``synthesize_batch`` agree.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from trainer.data.synth import draws
from trainer.data.synth.geometry import deform, join_strokes
from trainer.data.synth.template import Template, stack
from trainer.data.synth.timing import Motion, sample_trajectory

if TYPE_CHECKING:
    from trainer.data.synth.config import SynthConfig
    from trainer.data.synth.writer import WriterStyle

Sample = tuple[np.ndarray, np.ndarray, np.ndarray]


def write(
    tpls: list[Template],
    cut: list[draws.Draws],
    styles: list[WriterStyle],
    rngs: list[np.random.Generator],
    config: SynthConfig,
) -> list[Sample]:
    """Write B characters.

    Args:
        tpls: the prepared template of each character (K_b strokes).
        cut: the random draws of each (``draws.split``).
        styles, rngs: each character's writer and generator (for the digitizer noise).
    Returns:
        per character (xy (N, 2) float64, sid (N,) int32, t (N,) float64 ms).
    """
    B = len(tpls)
    tpl = stack(tpls)
    ks = [len(t.counts) for t in tpls]
    cs = np.arange(B).repeat(ks)  # character of each stroke
    n_w = config.elastic_waves
    st = np.array([
        (s.cursiveness, s.simplify, s.roundness, s.neatness, s.speed * s.size, s.rate,
         s.size) for s in styles
    ])
    mess = config.mess_min + (config.mess_max - config.mess_min) * (1.0 - st[:, 3])
    if B == 1:
        uj, uh, zk, zc = cut[0].joins, cut[0].hooks, cut[0].strokes, cut[0].character[None]
    else:  # a join across two characters (forced off below) gets a placeholder draw
        gap = np.ones(1)
        uj = np.concatenate([x for d in cut for x in (d.joins, gap)][:-1])
        uh = np.concatenate([d.hooks for d in cut])
        zk = np.concatenate([d.strokes for d in cut])
        zc = np.stack([d.character for d in cut])  # (B, draws per character)
    # which strokes the pen joins to the next: likelier when the next start is near and ahead
    c = np.minimum(np.maximum(st[:, 0], 1e-4), 1 - 1e-4)
    join = uj * (1.0 + tpl.join_w * ((1.0 - c) / c)[cs[:-1]]) < 1.0
    if B > 1:
        join[np.cumsum(ks)[:-1] - 1] = False  # never from one character into the next
    # a hook the pen does not carry into a join is dropped, a dot becomes a tick
    hook = tpl.hook & (uh < st[cs, 1])
    hook[:-1] &= ~join
    zk = (zk.reshape(-1, draws.NORMAL_PER_STROKE) * (tpl.sd * mess[cs, None])).view(np.complex128)
    # the pen turns towards the next stroke before reaching the end of a joined one
    cut = join * config.join_cut
    zk[:-1, 3] -= cut
    zk[1:, 2] -= 1j * cut
    r = st[cs, 2].repeat(tpl.counts) if B > 1 else st[0, 2]
    P = deform(tpl, zk, r, hook if hook.any() else None)
    if config.parts_vary and tpl.part.any():
        P = _move_parts(P, tpl, draws.parts(zc, n_w), mess, cs, config)
    P, g, f, stroke, group = join_strokes(
        P, tpl, join, np.exp(zk[:-1, 3].imag) * config.reach_mean
    )
    ch = cs[stroke]  # character of each point

    # smooth elastic field, then the writer's (and this character's) linear map
    w = draws.waves(zc, n_w).reshape(B, draws.PER_WAVE, n_w)
    wave = np.empty((B, 3, n_w))
    wave[:, :2] = w[:, :2] * config.elastic_freq
    wave[:, 2] = w[:, 2] * np.pi
    amp = (config.elastic_amp / math.sqrt(2.0 * n_w)) * mess
    wobble = config.sample_sd * draws.wobble(zc)
    lin = np.array([_linear_map(s, wobble[b]) for b, s in enumerate(styles)])
    ampc = (w[:, 3] + 1j * w[:, 4]) * amp[:, None]
    if B == 1:  # the same sums as below, as two small matrix products
        xy = P.view(np.float64).reshape(-1, 2)
        d = np.sin(xy @ wave[0, :2] + wave[0, 2]) @ ampc[0].view(np.float64).reshape(n_w, 2)
        P = P + d.view(np.complex128).ravel()
        a, b, o = lin[0].tolist()
        P = a * P + b * P.conj() + o
    else:
        e = wave[ch]
        phase = P.real[:, None] * e[:, 0] + P.imag[:, None] * e[:, 1] + e[:, 2]
        P = P + (np.sin(phase) * ampc[ch]).sum(axis=1)
        L = lin[ch]
        P = L[:, 0] * P + L[:, 1] * P.conj() + L[:, 2]

    motion = Motion(st[:, 4], st[:, 5], config.end_speed, config.pen_up_ms)
    pts, sid, t, gc = sample_trajectory(P, g, f, ch, motion)

    # digitizer: jitter and lost samples (never a stroke's first or last)
    n = len(pts)
    sc = gc[sid]  # character of each sample
    per_char = np.bincount(sc, minlength=B)
    noise = [(rng.standard_normal((k, 2)), rng.random(k)) for rng, k in zip(rngs, per_char)]
    xy = pts.view(np.float64).reshape(n, 2)
    jitter = noise[0][0] if B == 1 else np.concatenate([a for a, _ in noise])
    xy += jitter * (config.jitter_sd * mess * st[:, 6])[sc, None]
    keep = (noise[0][1] if B == 1 else np.concatenate([b for _, b in noise])) >= config.drop_prob
    edge = sid[1:] != sid[:-1]
    keep[:-1] |= edge
    keep[1:] |= edge
    keep[0] = keep[-1] = True
    xy, sid, t, sc = xy[keep], sid[keep], t[keep], sc[keep]
    # each character's strokes from 0 and its time from 0 ms
    if B == 1:
        return [(xy, sid.astype(np.int32), np.rint(t - t[0]))]
    bounds = np.zeros(B + 1, dtype=np.intp)
    np.add.accumulate(np.bincount(sc, minlength=B), out=bounds[1:])
    first_stroke = np.zeros(B, dtype=np.intp)
    np.add.accumulate(ks[:-1], out=first_stroke[1:])
    sid = (sid - group[first_stroke][sc]).astype(np.int32)
    t = np.rint(t - t[bounds[:-1]][sc])
    b = bounds.tolist()
    return [(xy[i:j], sid[i:j], t[i:j]) for i, j in itertools.pairwise(b)]


def _move_parts(
    P: np.ndarray, tpl: Template, zp: np.ndarray, mess: np.ndarray, cs: np.ndarray,
    config: SynthConfig,
) -> np.ndarray:
    """Each character's two components moved and scaled as wholes (``Template.part``).

    zp: (B, 4) normal draws per character: the shift apart along the axis between the
    components, the log scale of the first and of the second, the offset across the axis.
    Strokes of no two-part layout (part 0) stay. Returns the moved (M,) complex points.
    """
    z = zp[cs] * mess[cs, None]  # (K, 4)
    side = tpl.part.astype(np.float64)
    scale = np.exp(config.part_scale_sd * np.where(side > 0, z[:, 1], z[:, 2]))
    move = tpl.part_axis * side * (
        config.part_offset_sd * 1j * z[:, 3] - config.part_shift_sd * z[:, 0])
    scale = np.where(side != 0, scale, 1.0)
    c = tpl.part_centre
    per = np.stack([scale, c * (1.0 - scale) + move]).repeat(tpl.counts, axis=1)
    return per[0] * P + per[1]


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
