"""Ranking with context: the network's scores and a language model's prior on one scale (issue 24).

Both are log-probabilities over the model's classes, so they add: for each class c,

    score(c) = log softmax(logits / T)[c] + w * log P_LM(c | context)

the log-linear combination of HCCR text recognition (Wang, Yin, Liu, "Handwritten Chinese
text recognition by integrating multiple contexts", TPAMI 2012, eq. 3: a likelihood weight
against the language model's). T calibrates the network (trained on synthetic writers, it is
surer of itself than real ink warrants); w weighs the prior, smaller at the start of a text
where the prior is only character frequency. Every class is scored, so context can lift a
character from far down the network's list. The candidates' ``prob`` is the softmax of the
scores: the posterior under this model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.language import is_hanzi


@dataclass(frozen=True)
class ContextOptions:
    """How context re-ranks the network's classes.

    Attributes:
        temperature: T, the network's logits are divided by it (> 0; above 1 softens them).
        weight: w after a hanzi (the prior knows the characters before this one).
        start_weight: w at the start of a text or after punctuation, where the prior is the
            frequency of characters starting a sentence; small, so isolated characters of
            any frequency keep the network's reading (issue 24: at most 1 point lost).
        history: characters of the context handed to the language model (its last ones).
    """

    # Chosen on the "writers write text" yardstick (bench/tune_context.py, docs/language.md):
    # the stress writers, whom the network alone reads about as well as it reads real writers
    # (61%), read best at T * w = 1.6; T = 2 makes the posterior best calibrated there (lowest
    # NLL); start_weight 0.1 lifts characters by frequency and costs isolated uniform ones
    # 0.1-0.2 points.
    temperature: float = 2.0
    weight: float = 0.8
    start_weight: float = 0.1
    history: int = 16

    def __post_init__(self) -> None:
        for name in ("temperature", "weight", "start_weight"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and 0 <= v <= 100):
                raise ValueError(f"ContextOptions.{name} must be a number in [0, 100], got {v!r}")
        if self.temperature <= 0:
            raise ValueError(f"ContextOptions.temperature must be > 0, got {self.temperature!r}")
        if (
            isinstance(self.history, bool)
            or not isinstance(self.history, int)
            or not (1 <= self.history <= 256)
        ):
            raise ValueError(
                f"ContextOptions.history must be an integer in 1..256, got {self.history!r}"
            )

    def weight_for(self, context: str) -> float:
        """w for this context: ``weight`` when it ends with a hanzi, else ``start_weight``
        (the language model's own test: anything else is a boundary, after which it knows
        only how sentences start)."""
        return self.weight if context and is_hanzi(context[-1]) else self.start_weight


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Natural-log softmax of a vector (C,), float64."""
    z = x.astype(np.float64)
    z = z - z.max()
    out: np.ndarray = z - np.log(np.exp(z).sum())
    return out


def combine(logits: np.ndarray, prior: np.ndarray, weight: float, temperature: float) -> np.ndarray:
    """Scores (C,) float32 of one ink: logits / T + weight * prior.

    logits (C,) the network's; prior (C,) log P_LM(c | context), finite. This is the log
    posterior up to a constant per ink (log softmax(logits / T) differs from logits / T by
    one log-normalizer), so it ranks the same and its softmax is the same posterior; leaving
    the normalizer to the softmax that reads the candidates saves a pass over the classes.
    """
    return np.asarray(logits, np.float32) * np.float32(1.0 / temperature) + np.float32(
        weight
    ) * np.asarray(prior, np.float32)


def fuse(
    logits: np.ndarray,
    temperature: float,
    prior: np.ndarray | None = None,
    weight: float = 0.0,
    memory: np.ndarray | None = None,
) -> np.ndarray:
    """Scores (C,) float32 of one ink with the user's memory (issue 28, docs/memory.md):

        score(c) = logits(c) / T + w * (log P_LM(c | context) + U(c | context)) + M(c)

    the log-linear combination above with one more term: M (C,), the user memory's bonus in
    nats (engine.memory.UserMemory.bonus), on the same scale as the calibrated log posterior
    logits / T. ``prior`` (C,) is None without a context; the user's words U
    (engine.user_words) are already in it. A stored ink near enough gives its character up
    to ``MemoryConfig.bonus`` nats, enough to pass the network's first guess.
    """
    out = np.asarray(logits, np.float32) * np.float32(1.0 / temperature)
    if prior is not None:
        out = out + np.float32(weight) * np.asarray(prior, np.float32)
    if memory is not None:
        out = out + np.asarray(memory, np.float32)
    return out
