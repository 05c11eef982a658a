"""The layout of a character's random draws: the contract behind every synthesized sample.

Each character draws from its own generator (``seeds``: one per sample index), in this
order: ``uniform`` (2 per template stroke + 5; one of them, ``run_uniform``, decides a
running character), the stroke-order habits' uniforms
(``order.habits``: one per site of the template, only when the config or the writer has
habits), the picks of ``structure.restructure`` when a stroke is swapped, reversed or
broken, ``normal`` (8 per stroke written, 3, 5 per elastic wave, 4 for the component layout
where it varies), then the digitizer noise of ``handwrite.write_characters`` and the
optional pen motion and digitizer of ``motion``. A sample is a pure function of these
draws, so the samples behind a trained model stay the same as long as this layout does: a
new knob draws after all of them, or only when it is switched on (as the component layout
does), never by changing a count or an offset here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trainer.data.synth.config import SynthConfig

#: Uniform draws: per template stroke, and beyond those (the last RESTRUCTURE of them).
UNIFORM_PER_STROKE, UNIFORM_EXTRA, RESTRUCTURE = 2, 5, 3
#: Normal draws per stroke written: offset x, y, log scale, rotation, bend, extension at
#: the start and at the end, log connector reach (``Template.sd`` scales them).
NORMAL_PER_STROKE = 8
#: Normal draws per character: slant, rotation and log aspect wobble; per elastic wave
#: (frequency x, y, phase, amplitude x, y); the component layout (shift, the two log
#: scales, offset across).
WOBBLE, PER_WAVE, PARTS = 3, 5, 4


def stroke_scales(config: SynthConfig) -> np.ndarray:
    """(NORMAL_PER_STROKE,) the config's scale of each per-stroke normal, in the layout
    above (``Template.sd`` holds them per stroke, damped on a twin's telling strokes)."""
    return np.array(
        [
            config.offset_sd,
            config.offset_sd,
            config.scale_log_sd,
            config.stroke_rotation_sd,
            config.bend_sd,
            config.extend_sd,
            config.extend_sd,
            config.reach_sd,
        ]
    )


class Draws(NamedTuple):
    """One character's draws cut into their uses (K strokes written, W elastic waves).

    Attributes:
        joins: (K-1,) uniforms deciding whether the pen joins each gap.
        hooks: (K,) uniforms deciding whether each hook (or dot) is simplified.
        strokes: (K * NORMAL_PER_STROKE,) normals of the per-stroke deformation.
        character: (WOBBLE + PER_WAVE * W [+ PARTS],) normals of the whole character; cut
            by ``wobble``, ``waves`` and ``parts`` (which also take a stack of them).
    """

    joins: np.ndarray
    hooks: np.ndarray
    strokes: np.ndarray
    character: np.ndarray


def uniform(rng: np.random.Generator, template_strokes: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw a character's uniforms: (all of them, the RESTRUCTURE ones of restructure)."""
    u = rng.random(UNIFORM_PER_STROKE * template_strokes + UNIFORM_EXTRA)
    return u, u[-RESTRUCTURE:]


def run_uniform(u: np.ndarray) -> float:
    """The uniform of ``uniform``'s draws that decides a running character (``running``):
    one the layout leaves unused (a character's joins and hooks end before it even when a
    stroke is broken in two), so the habit changes no other draw."""
    return float(u[-RESTRUCTURE - 1])


def normal(rng: np.random.Generator, strokes: int, config: SynthConfig) -> np.ndarray:
    """Draw a character's normals once its ``strokes`` (written) are known."""
    n = NORMAL_PER_STROKE * strokes + WOBBLE + PER_WAVE * config.elastic_waves
    return rng.standard_normal(n + PARTS * config.parts_vary)


def split(u: np.ndarray, z: np.ndarray, strokes: int) -> Draws:
    """Cut ``uniform``'s and ``normal``'s draws of a character of ``strokes`` strokes."""
    k = strokes
    return Draws(
        joins=u[: k - 1],
        hooks=u[k - 1 : 2 * k - 1],
        strokes=z[: NORMAL_PER_STROKE * k],
        character=z[NORMAL_PER_STROKE * k :],
    )


def wobble(character: np.ndarray) -> np.ndarray:
    """(..., WOBBLE) slant, rotation and log aspect draws of ``Draws.character`` (or a stack)."""
    return character[..., :WOBBLE]


def waves(character: np.ndarray, n_waves: int) -> np.ndarray:
    """(..., PER_WAVE * n_waves) draws of the elastic field."""
    return character[..., WOBBLE : WOBBLE + PER_WAVE * n_waves]


def parts(character: np.ndarray, n_waves: int) -> np.ndarray:
    """(..., PARTS) draws of the component layout (empty where it does not vary)."""
    return character[..., WOBBLE + PER_WAVE * n_waves :]
