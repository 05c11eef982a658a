"""A writer's habits held across characters (WriterStyle), drawn from the configured population."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from trainer.data.synth.config import SynthConfig


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
        simplify: probability of dropping a hook, or turning a dot into a tick, where the
            pen does not join that stroke to the next, 0..1.
        roundness: Chaikin cut fraction of corners, 0.05..0.3.
        neatness: 0..1; scales every deformation and noise (1: the least).
        cross_swap: probability, per crossing site (``order``), of writing the later of
            two crossing strokes first (十 as 丨 then 一); 0: a writer without the habit.
        close_early: per enclosure, of writing its bottom 横 before its interior (日, 国).
        parts_swap: per two-part character, of writing the second component first.
        pie_reverse: per left-falling stroke (撇), of writing it end to start.
        japanese: per character that Tomoe writes in another order (``order.japanese_orders``:
            田, 右, 王, 反 ...), of writing it in that Japanese order (the other habits then
            apply to that order); 0: a writer without the habit.
        running: per character, of writing it in running hand (``running``): its
            components, or the whole character, in one pen-down; 0: never.
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
    cross_swap: float = 0.0
    close_early: float = 0.0
    parts_swap: float = 0.0
    pie_reverse: float = 0.0
    japanese: float = 0.0
    running: float = 0.0

    @property
    def has_habits(self) -> bool:
        """Whether any stroke-order habit is set (``order.habits`` can change anything)."""
        return (
            self.cross_swap > 0
            or self.close_early > 0
            or self.parts_swap > 0
            or self.pie_reverse > 0
            or self.japanese > 0
        )


#: Key of the side stream of the Japanese-order habit (``side_stream``): issue 25.
JAPANESE_STREAM = 25


def side_stream(rng: np.random.Generator, key: int) -> np.random.Generator:
    """A generator independent of rng's stream, seeded by rng's current state and ``key``;
    rng is not advanced. A knob added after the draw layout was fixed (``draws``) draws from
    it, so that every draw of rng, and every sample of a writer without the knob, stays what
    it was."""
    state = repr(rng.bit_generator.state).encode()
    digest = hashlib.sha256(state).digest()
    return np.random.default_rng([*np.frombuffer(digest, dtype=np.uint32).tolist(), key])


def sample_writer(rng: np.random.Generator, config: SynthConfig = SynthConfig()) -> WriterStyle:
    """Draw one writer's style from the population the config describes."""
    z = rng.standard_normal(6).tolist()
    u = rng.random(2).tolist()
    cursive = float(rng.beta(config.cursive_a, config.cursive_b))
    neat = float(rng.beta(config.neat_a, config.neat_b))
    rate = config.rate_min_hz + (config.rate_max_hz - config.rate_min_hz) * u[0]
    spacing = math.exp(config.spacing_log_mean + config.spacing_log_sd * z[4])
    habits = {}
    if config.order_habits:  # drawn after everything else, only when switched on
        h = rng.random(8)
        shares = (config.cross_share, config.close_share, config.parts_share, config.pie_share)
        names = ("cross_swap", "close_early", "parts_swap", "pie_reverse")
        for m, (name, share) in enumerate(zip(names, shares, strict=True)):
            strength = config.habit_min + (1.0 - config.habit_min) * float(h[4 + m])
            habits[name] = strength if h[m] < share else 0.0
    if config.running:  # drawn after the habits, only when switched on
        r = rng.random(2)
        if r[0] < config.run_share:
            habits["running"] = config.run_rate * (0.2 + 0.8 * float(r[1]))
    if config.japanese_share > 0:  # from a side stream: every other draw stays where it was
        j = side_stream(rng, JAPANESE_STREAM).random(2)
        if j[0] < config.japanese_share:
            habits["japanese"] = min(config.japanese_rate * (0.5 + float(j[1])), 1.0)
    return WriterStyle(
        slant=config.slant_mean + config.slant_sd * z[0],
        rotation=config.rotation_mean + config.rotation_sd * z[1],
        aspect=math.exp(config.aspect_log_mean + config.aspect_log_sd * z[2]),
        size=math.exp(config.size_log_sd * z[3]),
        speed=spacing * rate,
        rate=rate,
        cursiveness=cursive,
        simplify=min(max(cursive + 0.3 * z[5], 0.0), 1.0),
        roundness=config.round_min
        + (config.round_max - config.round_min) * min(0.5 * cursive + 0.5 * u[1], 1.0),
        neatness=neat,
        **habits,
    )
