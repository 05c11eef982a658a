"""The user memory's arithmetic: its settings, cosines and the kernel bonus (issue 28).

Pure numpy over arrays; engine.memory holds the state and the lock. The formula is in
engine.memory's docstring and docs/memory.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.user_words import WordsConfig

#: Stored inks whose kernel is below exp(-REACH) are left out of the bonus (< 0.007 nats).
REACH = 5.0
#: Rows of stored embeddings per matrix product (see cosines).
BLOCK = 256


@dataclass(frozen=True)
class MemoryConfig:
    """How stored inks lift their characters, and how many are kept.

    Attributes:
        near: s0, the cosine at which a stored ink's kernel is 1 (it lifts by log 2 nats).
        sharpness: kappa, nats per unit of cosine above (or below) ``near``: the von
            Mises-Fisher kernel exp(kappa * cos) of a kernel density on the unit sphere.
        bonus: the most one character is lifted (nats, on the scale of logits / T:
            engine.ranking.fuse).
        half_life: picks after which a stored ink's weight halves (unless confirmed again).
        supersede: a correction this near a stored ink of another character outvotes it.
        outvote: what an outvoted ink's weight is multiplied by.
        duplicate: a pick this near a stored ink of its own character refreshes that one
            instead of adding another.
        confirm: the weight of a first candidate the user confirms (0: not kept), unless
            another character's stored ink was near (contested: kept at weight 1). The
            user's own forms of the characters they write tip near ties their way.
        per_char: most inks kept per character; max_inks: most in all (the least weighty go).
        words: the user's words (engine.user_words).
    """

    # Chosen on the synthetic stress writers (no setting of near 0.85-0.96, kappa 30-200 did
    # harm there; looser ones gained more) and the first half of the shuffled real neat set
    # (near 0.85-0.92 equal), as the tightest that loses nothing on either: real writers'
    # other characters come within 0.90 of 10% of their inks, their own within 0.965 of 90%
    # (docs/memory.md). confirm: kept confirmations cut second-half misses on the neat set
    # from 1.4 to 0.4 (mean of 20 shuffles, seeds 0-19); 0.1 does that as well as 0.3 and
    # harms a shared memory less: 24 synthetic writers' isolated characters through one
    # memory read 96.3% without learning, 96.0% with 0.1 and 95.9% with 0.3 (0.03: 96.2%,
    # but 0.55 neat misses, at most 2).
    near: float = 0.92
    sharpness: float = 100.0
    bonus: float = 12.0
    half_life: float = 5000.0
    supersede: float = 0.95
    outvote: float = 0.1
    duplicate: float = 0.97
    confirm: float = 0.1
    per_char: int = 8
    max_inks: int = 3000
    words: WordsConfig = field(default_factory=WordsConfig)

    def __post_init__(self) -> None:
        if not (-1.0 <= self.near <= 1.0):
            raise ValueError(f"MemoryConfig.near must be a cosine in [-1, 1], got {self.near!r}")
        for name in ("sharpness", "bonus", "half_life", "supersede", "outvote", "duplicate"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and 0 <= v <= 1e6):
                raise ValueError(f"MemoryConfig.{name} must be a number in [0, 1e6], got {v!r}")
        if not (isinstance(self.confirm, (int, float)) and 0.0 <= self.confirm <= 1.0):
            raise ValueError(f"MemoryConfig.confirm must be in [0, 1], got {self.confirm!r}")
        if self.half_life <= 0 or self.outvote > 1 or self.sharpness <= 0:
            raise ValueError("MemoryConfig.half_life, sharpness must be > 0 and outvote <= 1")
        if not (1 <= self.per_char <= self.max_inks <= 20_000):
            raise ValueError("MemoryConfig needs 1 <= per_char <= max_inks <= 20000")


def reach(cfg: MemoryConfig) -> float:
    """The cosine below which a stored ink is left out of the bonus."""
    return cfg.near - REACH / cfg.sharpness


def kernel_bonus(
    sims: np.ndarray,
    rows: np.ndarray,
    classes: np.ndarray,
    log_weights: np.ndarray,
    cfg: MemoryConfig,
    shape: tuple[int, int],
) -> np.ndarray:
    """M (B, C) float32 from the stored inks within reach: for each, its cosine ``sims`` to
    the ink of row ``rows`` (all (K,)), its class and log weight.

    M(row, c) = min(bonus, softplus(logsumexp over its inks of kappa * (cos - s0) + log w)).
    """
    z = (cfg.sharpness * (sims - cfg.near) + log_weights).astype(np.float64)
    key = rows.astype(np.int64) * shape[1] + classes
    uniq, inv = np.unique(key, return_inverse=True)
    top = np.full(len(uniq), -np.inf)
    np.maximum.at(top, inv, z)
    total = np.zeros(len(uniq))
    np.add.at(total, inv, np.exp(z - top[inv]))
    m = np.minimum(np.logaddexp(0.0, top + np.log(total)), cfg.bonus)
    out = np.zeros(shape, np.float32)
    out.reshape(-1)[uniq] = m
    return out


def cosines(q: np.ndarray, emb: np.ndarray) -> np.ndarray:
    """q (B, D) @ emb (N, D).T in blocks of BLOCK rows of emb: OpenBLAS threads a product of
    3000 x 512 and, beside other busy threads, took 8 ms for what one thread does in 0.2 ms
    (bench/bench_memory.py); each block stays under its threading threshold."""
    if len(emb) <= BLOCK:
        out: np.ndarray = q @ emb.T
        return out
    return np.concatenate([q @ emb[i : i + BLOCK].T for i in range(0, len(emb), BLOCK)], axis=1)


def unit(embedding: np.ndarray) -> np.ndarray:
    """A finite vector (D,) scaled to length 1 (zeros stay zeros); ValueError otherwise."""
    e = np.asarray(embedding, np.float32)
    if e.ndim != 1 or not len(e) or not np.isfinite(e).all():
        raise ValueError(f"embedding must be a finite vector (D,), got shape {e.shape}")
    norm = float(np.linalg.norm(e))
    return e / norm if norm > 0 else e
