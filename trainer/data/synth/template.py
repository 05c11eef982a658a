"""A stroke template's geometry, prepared once per template and cached for the synthesizer.

Points travel as complex numbers ``x + 1j * y`` (y down): a rotation and scale is one
multiplication. Everything that depends only on the template and the SynthConfig is done
here, so that writing one character costs few numpy calls: the corner-cut (Chaikin) form of
every stroke, which is linear in the cut fraction r (``z0 + r * dz``); the bend profile; the
join odds of every gap; the shape of each connector; the pen speed at each point.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from trainer.data.synth.curves import CONNECTOR_A, CONNECTOR_B, N_CONNECTOR, chaikin, unit
from trainer.data.synth.draws import stroke_scales
from trainer.data.synth.running import RUN_OVERLAP
from trainer.data.synth.timing import corner_speed

if TYPE_CHECKING:
    from trainer.data.synth.config import SynthConfig

#: Most templates kept by TemplateCache (9,574 characters have templates).
CACHE_SIZE = 16384


@dataclass(frozen=True)
class Template:
    """Geometry of one template of K strokes, M points after corner cutting.

    Attributes:
        config: the SynthConfig it was prepared for.
        counts, starts, ends: (K,) points per stroke, index of its first and last point.
        z0, dz: (M,) complex; a stroke with corners cut at fraction r is ``z0 + r * dz``.
        hook: (K,) bool, the stroke has a fast writer's simplification: a hook to drop, or a
            dot to turn into a tick towards the next stroke. hook_z0, hook_dz: (M,) what
            simplifying every such stroke adds to z0 and dz (zero elsewhere).
        bulge: (M,) 4u(1-u), u the arc-length fraction along the stroke (shape of a bend).
        centre: (K,) chord midpoints. len_normal: (K,) length times the chord's unit normal.
        len_entry, len_exit, len_hook_exit: (K,) length times the unit direction of the
            first segment, the last one, and the last one once simplified.
        min_ext: (2, K) shortest allowed extension at the start and end (fraction of length).
        join_w: (K-1,) exp(-x) for x the config's join log-odds of each gap from its length
            and direction (the writer's cursiveness is added at writing time).
        conn_dir: (K-1, N_CONNECTOR) the connector's arm term: exit * b1 - entry * b2.
        sd: (K, 8) per-stroke draw scales: offset x, y, log scale, rotation, bend, extension
            at start, at end, log connector reach.
        slots, point_slot, conn_slot, slot_stroke, is_point: the padded layout of the joined
            path: every stroke's points, each followed (but the last) by N_CONNECTOR
            connector slots; slot of each point, (K-1, N_CONNECTOR) slots of connectors,
            stroke of each slot, and whether a slot holds a point.
        speed: (slots,) pen speed factor at each slot (two-thirds power law), path all joined.
        part: (K,) +1 / -1: the stroke is in the first (left or top) / second component of
            the character's two-part layout (``components``); 0: no such layout, or none
            found. part_centre: (K,) complex centre of the stroke's component.
            part_axis: (K,) complex unit direction from the first component to the second
            (1 left-right, 1j top-bottom).
        run_part: (K,) the same two-part cut for a running character's components, found
            with a looser overlap (``running.RUN_OVERLAP``: 氵 beside 可).
    """

    config: SynthConfig
    counts: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    z0: np.ndarray
    dz: np.ndarray
    hook: np.ndarray
    hook_z0: np.ndarray
    hook_dz: np.ndarray
    bulge: np.ndarray
    centre: np.ndarray
    len_normal: np.ndarray
    len_entry: np.ndarray
    len_exit: np.ndarray
    len_hook_exit: np.ndarray
    min_ext: np.ndarray
    join_w: np.ndarray
    conn_dir: np.ndarray
    sd: np.ndarray
    slots: int
    point_slot: np.ndarray
    conn_slot: np.ndarray
    slot_stroke: np.ndarray
    is_point: np.ndarray
    speed: np.ndarray
    part: np.ndarray
    part_centre: np.ndarray
    part_axis: np.ndarray
    run_part: np.ndarray


def _cut(X: np.ndarray, sid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chaikin form of the strokes: (z0, dz) with cut points z0 + r * dz."""
    z0, _ = chaikin(X, sid, 0.0)
    z1, _ = chaikin(X, sid, 1.0)
    return z0, z1 - z0


class _Strokes(NamedTuple):
    """A template's strokes as given, flat: n points, S strokes."""

    X: np.ndarray  # (n,) complex points
    stroke: np.ndarray  # (n,) the stroke of each point
    first: np.ndarray  # (S,) index of each stroke's first point
    last: np.ndarray  # (S,) and of its last
    step: np.ndarray  # (n-1,) complex point-to-point vectors (across strokes too)
    length: np.ndarray  # (S,) each stroke's length


def build(strokes: list[np.ndarray], config: SynthConfig, broken: int = -1) -> Template:
    """Prepare ``strokes`` (one (k_i, 2) array per stroke, unit box, y down; not modified).

    A one-point stroke (a dot) becomes a tiny tick of two points. A hook is a last segment
    shorter than ``config.hook_frac`` of its stroke that runs back (by more than 90 degrees)
    against the chord from the stroke's start to the hook's base;
    a dot is a stroke shorter than ``config.dot_len``. The gap after stroke ``broken``
    (a stroke the writer broke in two) is never joined.
    """
    raw = _flatten(strokes)
    X, s0, e0, length0 = raw.X, raw.first, raw.last, raw.length
    step_len = np.abs(raw.step)
    entry, exit_ = unit(raw.step[s0]), unit(raw.step[e0 - 1])
    z0, dz = _cut(X, raw.stroke)
    hook, simple_exit, h0, hd = _hooks_and_dots(raw, step_len, z0, dz, config)
    counts = 2 * (e0 - s0 + 1)
    ends = np.cumsum(counts) - 1
    starts = ends - counts + 1
    conn_dir = exit_[:-1, None] * CONNECTOR_B[1] - entry[1:, None] * CONNECTOR_B[2]
    layout = _layout(counts)
    u, speed = _nominal_path(z0, dz, counts, starts, ends, conn_dir, layout, config)
    part, part_centre, part_axis = components(X, s0, e0, config.part_overlap)
    run_part = components(X, s0, e0, RUN_OVERLAP)[0]
    return Template(
        config=config,
        counts=counts,
        starts=starts,
        ends=ends,
        z0=z0,
        dz=dz,
        hook=hook,
        hook_z0=h0 - z0,
        hook_dz=hd - dz,
        bulge=4.0 * u * (1.0 - u),
        centre=0.5 * (X[s0] + X[e0]),
        len_normal=length0 * unit(1j * (X[e0] - X[s0])),
        len_entry=length0 * entry,
        len_exit=length0 * exit_,
        len_hook_exit=length0 * simple_exit,
        min_ext=-0.5 * np.stack([step_len[s0], step_len[e0 - 1]]) / np.maximum(length0, 1e-9),
        join_w=_join_weights(X, s0, e0, exit_, broken, config),
        conn_dir=conn_dir,
        sd=_draw_scales(strokes, config),
        speed=speed,
        part=part,
        part_centre=part_centre,
        part_axis=part_axis,
        run_part=run_part,
        **layout,  # type: ignore[arg-type]
    )


def _draw_scales(strokes: list[np.ndarray], config: SynthConfig) -> np.ndarray:
    """(K, 8) per-stroke draw scales: the config's, times the ``damp`` (K, 8) a twin's
    template carries (``confusable.Twin``: less noise on the strokes that tell it apart)."""
    sd = stroke_scales(config)
    damp = getattr(strokes, "damp", None)
    if damp is None:
        return np.tile(sd, (len(strokes), 1))
    return np.ascontiguousarray(sd * damp)


def _flatten(strokes: list[np.ndarray]) -> _Strokes:
    """The strokes as one array of complex points (a one-point stroke becomes a tick)."""
    if len(strokes) == 0:
        raise ValueError("a template needs at least one stroke")
    parts = []
    for s in strokes:
        a = np.asarray(s, dtype=np.float64).reshape(-1, 2)
        if len(a) == 0:
            raise ValueError("a template stroke has no points")
        if len(a) == 1:
            a = np.concatenate([a, a + [0.004, 0.006]])
        parts.append(a)
    k0 = np.array([len(a) for a in parts], dtype=np.intp)
    X = np.ascontiguousarray(np.concatenate(parts)).view(np.complex128).ravel()
    sid0 = np.repeat(np.arange(len(k0)), k0)
    e0 = np.cumsum(k0) - 1
    s0 = e0 - k0 + 1
    d = X[1:] - X[:-1]
    seg0 = np.abs(d)
    length0 = np.bincount(sid0[1:], weights=seg0 * (sid0[1:] == sid0[:-1]), minlength=len(k0))
    return _Strokes(X, sid0, s0, e0, d, length0)


def _hooks_and_dots(
    raw: _Strokes, step_len: np.ndarray, z0: np.ndarray, dz: np.ndarray, config: SynthConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hooks and dots, and the template with every hook pulled back onto its stroke and
    every dot made a tick towards the next start.

    Returns: (S,) whether each stroke ends in a hook (or is a dot), its exit direction
    without the hook, and the Chaikin form (z0, dz) of the simplified template.
    """
    X, d, s0, e0, length0 = raw.X, raw.step, raw.first, raw.last, raw.length
    k0 = e0 - s0 + 1
    v1 = X[e0 - 1] - X[np.maximum(e0 - 2, s0)]
    hook = (k0 >= 3) & (step_len[e0 - 1] < config.hook_frac * length0)
    # against the stroke's course so far (a 竖钩's rounded bottom turns by less than 90)
    hook &= (d[e0 - 1] * (X[e0 - 1] - X[s0]).conj()).real < 0
    simple_exit = unit(v1)
    # a dot (short stroke) followed by another stroke becomes a tick towards its start
    dot = ~hook & (length0 < config.dot_len)
    dot[-1] = False
    if not (hook.any() or dot.any()):
        return hook, simple_exit, z0, dz
    Xh = X.copy()
    Xh[e0[hook]] = X[e0[hook] - 1] + 0.01 * unit(v1[hook])
    way = X[s0[1:]] - X[e0[:-1]]
    tick = unit(way) * np.minimum(0.3 * np.abs(way), config.dot_len / 5)
    Xh[e0[dot]] += tick[dot[:-1]]
    simple_exit[dot] = unit(Xh[e0[dot]] - X[e0[dot] - 1])
    hook |= dot
    h0, hd = _cut(Xh, raw.stroke)
    return hook, simple_exit, h0, hd


def _nominal_path(
    z0: np.ndarray,
    dz: np.ndarray,
    counts: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    conn_dir: np.ndarray,
    layout: dict[str, object],
    config: SynthConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """The template at the middle corner cut with every gap joined: each point's fraction
    of its stroke's length (the bend profile's parameter) and the pen speed at each slot."""
    r_mid = 0.5 * (config.round_min + config.round_max)
    zn = z0 + r_mid * dz
    seg = np.abs(zn[1:] - zn[:-1])
    seg[ends[:-1]] = 0.0
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    length = cum[ends] - cum[starts]
    u = (cum - np.repeat(cum[starts], counts)) / np.repeat(np.maximum(length, 1e-9), counts)
    path = np.empty(layout["slots"], dtype=np.complex128)  # type: ignore[call-overload]
    path[layout["point_slot"]] = zn
    A, B = zn[ends[:-1]], zn[starts[1:]]
    arm = (np.abs(B - A) * config.reach_mean)[:, None]
    path[layout["conn_slot"]] = (
        A[:, None] * CONNECTOR_A[0] + B[:, None] * CONNECTOR_A[1] + (arm * conn_dir)
    )
    return u, corner_speed(path, config.corner_radius, config.min_speed)


def _join_weights(
    X: np.ndarray,
    s0: np.ndarray,
    e0: np.ndarray,
    exit_: np.ndarray,
    broken: int,
    config: SynthConfig,
) -> np.ndarray:
    """(S-1,) ``Template.join_w``: exp(-x) for x the join log-odds of each gap (higher when
    the next start lies near and ahead of the stroke's exit); inf after the ``broken``
    stroke (never joined)."""
    gapv = X[s0[1:]] - X[e0[:-1]]
    x = config.join_dir_coef * (exit_[:-1] * unit(gapv).conj()).real + config.join_dist_coef * (
        config.join_dist_ref - np.abs(gapv)
    )
    if broken >= 0:
        x[broken] = -np.inf
    return np.exp(-x)


def components(
    X: np.ndarray, starts: np.ndarray, ends: np.ndarray, overlap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two-part layout of a character (left-right or top-bottom), from its strokes' extents.

    Most characters are two components side by side (你: 亻 + 尔) or one above the other
    (思: 田 over 心), each written in one go; their proportions and alignment are what a
    writer changes most while every stroke keeps its place within its component. The
    strokes are cut in writing order, first j against the rest, where the two groups'
    extents along x or y overlap least; the cut counts if that overlap is at most
    ``overlap`` em and each group spans at least a fifth of the box along the axis.
    Enclosures (国, 这) and single components have none.

    Args:
        X: (M,) complex template points; starts, ends: (K,) each stroke's first and last.
    Returns:
        part (K,) int8 in {+1, -1, 0}, part_centre (K,) complex, part_axis (K,) complex
        (the Template attributes of the same names).
    """
    K = len(starts)
    part = np.zeros(K, dtype=np.int8)
    centre = np.zeros(K, dtype=np.complex128)
    axis = np.zeros(K, dtype=np.complex128)
    if K < 2:
        return part, centre, axis
    sid = np.repeat(np.arange(K), ends - starts + 1)
    best = (overlap, -1, 0j, False)  # (overlap, cut, axis, the later group comes first)
    for direction in (1.0 + 0j, 1j):
        v = (X * direction.conjugate()).real  # coordinate along the axis
        lo = np.full(K, np.inf)
        hi = np.full(K, -np.inf)
        np.minimum.at(lo, sid, v)
        np.maximum.at(hi, sid, v)
        # extents of strokes [:j] (a) and [j:] (b) for every cut j = 1 .. K-1
        a_lo, a_hi = np.minimum.accumulate(lo)[:-1], np.maximum.accumulate(hi)[:-1]
        b_lo = np.minimum.accumulate(lo[::-1])[::-1][1:]
        b_hi = np.maximum.accumulate(hi[::-1])[::-1][1:]
        wide = (a_hi - a_lo >= 0.2) & (b_hi - b_lo >= 0.2)
        for flip, ov in ((False, a_hi - b_lo), (True, b_hi - a_lo)):
            ov = np.where(wide, ov, np.inf)
            j = int(np.argmin(ov))
            if ov[j] <= best[0]:
                best = (float(ov[j]), j + 1, direction, flip)
    _, cut, direction, flip = best
    if cut < 0:
        return part, centre, axis
    first = np.arange(K) < cut
    if flip:
        first = ~first
    part[:] = np.where(first, 1, -1)
    for group in (first, ~first):
        pts = X[group[sid]]
        centre[group] = complex(
            0.5 * (pts.real.min() + pts.real.max()), 0.5 * (pts.imag.min() + pts.imag.max())
        )
    axis[:] = direction
    return part, centre, axis


def _layout(counts: np.ndarray) -> dict[str, object]:
    """The padded layout of a path with N_CONNECTOR slots after every stroke but the last."""
    padded = counts + N_CONNECTOR
    padded[-1] -= N_CONNECTOR
    first = np.cumsum(padded) - padded
    before = np.cumsum(counts) - counts
    point_slot = np.arange(int(counts.sum())) + np.repeat(first - before, counts)
    slots = int(padded.sum())
    is_point = np.zeros(slots, dtype=bool)
    is_point[point_slot] = True
    return {
        "slots": slots,
        "point_slot": point_slot,
        "conn_slot": (first + counts)[:-1, None] + np.arange(N_CONNECTOR),
        "slot_stroke": np.repeat(np.arange(len(counts)), padded),
        "is_point": is_point,
    }


class TemplateCache:
    """Templates already prepared, keyed by the identity of the stroke list and its arrays.

    The template loader hands out the same read-only list for a character every time, so
    the identity of the list and of each array tells a template apart; a changed list
    (another object) or another config is simply prepared again.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: dict[int, tuple[list[np.ndarray], tuple[np.ndarray, ...], Template]] = {}

    def get(self, strokes: list[np.ndarray], config: SynthConfig) -> Template:
        hit = self._entries.get(id(strokes))
        if (
            hit is not None
            and hit[0] is strokes
            and len(hit[1]) == len(strokes)
            and all(a is b for a, b in zip(hit[1], strokes, strict=True))
            and (hit[2].config is config or hit[2].config == config)
        ):
            return hit[2]
        tpl = build(strokes, config)
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[id(strokes)] = (strokes, tuple(strokes), tpl)
        return tpl


#: Fields of a Template with one entry per gap (or connector slots) between strokes, and the
#: entry that sits between two stacked characters: a gap never joined, slots never kept.
_BETWEEN_CHARACTERS = {
    "join_w": np.array([np.inf]),
    "conn_dir": np.zeros((1, N_CONNECTOR), dtype=np.complex128),
    "speed": np.ones(N_CONNECTOR),
}


def stack(tpls: list[Template]) -> Template:
    """The templates of several characters as one Template, written one after the other.

    Between two characters sits a gap that must never be joined (its ``join_w`` is inf and
    its connector slots are never kept); the caller also forces those joins off. Every
    other per-stroke or per-point field is concatenated along its last axis (``sd`` along its
    first), ``config`` is shared, and the layout is made anew.
    """
    if len(tpls) == 1:
        return tpls[0]
    counts = np.concatenate([t.counts for t in tpls])
    ends = np.cumsum(counts) - 1
    values: dict[str, object] = {
        "config": tpls[0].config,
        "sd": np.ascontiguousarray(np.concatenate([t.sd for t in tpls])),
        "counts": counts,
        "starts": ends - counts + 1,
        "ends": ends,
        **_layout(counts),
    }
    for f in fields(Template):
        if f.name in values:
            continue
        if f.name in _BETWEEN_CHARACTERS:
            gap = _BETWEEN_CHARACTERS[f.name]
            values[f.name] = np.concatenate(
                [x for t in tpls for x in (getattr(t, f.name), gap)][:-1]
            )
        else:
            values[f.name] = np.concatenate([getattr(t, f.name) for t in tpls], axis=-1)
    return Template(**values)  # type: ignore[arg-type]
