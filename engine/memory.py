"""The user's memory: inks the user corrected, which lift their character next time (issue 28).

When the user picks a candidate that was not first, the ink's embedding (the model's
penultimate layer, engine.session.ModelSession.run_with_embedding) is kept with the chosen
character. A new ink near a stored one lifts that character's score by a bonus in log space,
added to the context ranking's score (engine.ranking.fuse, docs/memory.md):

    M(c) = min(bonus, softplus(log sum over stored inks i of c of w_i * exp(kappa * (cos_i - s0))))

a von Mises-Fisher kernel density over the unit sphere of L2-normalized embeddings (cos_i the
cosine to stored ink i, kappa its concentration, s0 where a kernel weighs 1), w_i in [0, 1]
the stored ink's weight times 0.5 ** (its age in picks / half_life). Linear in the cosine
above s0: of two characters with stored inks near, the nearer gets kappa * (difference) more,
so the model's own scores still decide between close rivals. A correction at least
``supersede`` near a stored ink of another character outvotes it (that ink's weight times
``outvote``): one mistaken pick is undone by the next correction. A first candidate the user
confirms is kept only where the memory was contested (a stored ink of another character was
near), so the memory does not over-fire. The user's committed text lifts the prior too
(engine.user_words). Thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import EngineError
from engine.ink import Ink
from engine.memory_file import (
    MemoryError,
    MemoryFileError,
    MemoryState,
    move_aside,
    read_state,
    write_state,
)
from engine.user_words import UserWords, WordsConfig

__all__ = [
    "DEFAULT_FILE_NAME",
    "MemoryConfig",
    "MemoryError",
    "MemoryFileError",
    "UserMemory",
    "UserMemoryError",
]

logger = logging.getLogger(__name__)

#: The memory's file name under the user's data folder (the pad's choice of folder).
DEFAULT_FILE_NAME = "memory.npz"


#: The same class as MemoryError, under a name that does not hide Python's own.
UserMemoryError = MemoryError


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
    # (docs/memory.md). confirm 0.3: second-half misses on the neat set fell from 2.7 to 0.9
    # (mean of 40 shuffles) for -0.1 point when another writer reads with the memory.
    near: float = 0.92
    sharpness: float = 100.0
    bonus: float = 12.0
    half_life: float = 5000.0
    supersede: float = 0.95
    outvote: float = 0.1
    duplicate: float = 0.97
    confirm: float = 0.3
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


class UserMemory:
    """One user's stored inks and words, tied to the model (package sha256) that embedded them."""

    def __init__(self, model_sha256: str, config: MemoryConfig = MemoryConfig()) -> None:
        if not isinstance(model_sha256, str) or not 0 < len(model_sha256) <= 128:
            raise ValueError("model_sha256 must be the model package's sha256 (a hex string)")
        self.model_sha256 = model_sha256
        self.config = config
        self._lock = threading.RLock()
        self.words = UserWords(config.words)
        self._set(
            MemoryState(
                model_sha256,
                0,
                [],
                np.zeros((0, 0), np.float32),
                np.zeros(0, np.int64),
                np.zeros(0, np.float32),
                [],
                {},
            )
        )

    def _set(self, s: MemoryState) -> None:
        self._clock = s.clock
        self._chars = np.array(s.chars, dtype="<U1")
        self._emb = np.ascontiguousarray(s.embeddings, np.float32)
        self._time = s.time.astype(np.int64)
        self._weight = s.weight.astype(np.float32)
        self._inks: list[Ink | None] = list(s.inks)
        self._classes: tuple[str, np.ndarray] | None = None  # (charset, class of each ink)

    # -- file ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        model_sha256: str,
        config: MemoryConfig = MemoryConfig(),
        embed: Callable[[Sequence[Ink]], np.ndarray] | None = None,
    ) -> tuple[UserMemory, str | None]:
        """The memory saved at ``path``, and a notice (None when all is well).

        Never raises for the file: a missing one gives a fresh memory (no notice); a damaged
        or foreign one is moved aside to ``path`` + ".damaged" and a fresh memory returned;
        one made with another model is re-embedded from its stored inks with ``embed``
        (inks -> (N, D) embeddings of this model) or, without ``embed``, its inks are
        started over (the old file moved to ``path`` + ".old-model"; the words are kept).
        """
        path = Path(path)
        try:
            mem, notice = cls.read(path, model_sha256, config, embed)
        except FileNotFoundError:
            return cls(model_sha256, config), None
        except MemoryFileError as e:
            logger.warning("user memory: %s", e)
            aside = move_aside(path, ".damaged")
            where = f"kept as {aside}" if aside else "left in place"
            return cls(model_sha256, config), (
                f"the memory of your handwriting could not be read ({e}); the file is {where} "
                "and a new memory is started"
            )
        if notice is not None and not len(mem) and mem._clock:  # started over
            aside = move_aside(path, ".old-model")
            notice += f" (the old memory is kept as {aside})" if aside else ""
        return mem, notice

    @classmethod
    def read(
        cls,
        path: Path,
        model_sha256: str,
        config: MemoryConfig = MemoryConfig(),
        embed: Callable[[Sequence[Ink]], np.ndarray] | None = None,
    ) -> tuple[UserMemory, str | None]:
        """Like open, but strict and leaving the file alone (the CLI's ``--memory``).

        Raises:
            FileNotFoundError: no file at ``path``.
            MemoryFileError (a MemoryError): a file that is damaged, foreign or too large.
        """
        path = Path(path)
        state = read_state(path)
        mem = cls(model_sha256, config)
        try:
            mem.words = UserWords.from_dict(state.words, config.words)
        except ValueError as e:
            raise MemoryFileError(f"{path} is not a readable memory file: {e}") from e
        if state.model_sha256 == model_sha256:
            with mem._lock:
                mem._set(state)
                mem._bound()
            return mem, None
        return mem, mem._adopt(state, embed)

    def _adopt(
        self, state: MemoryState, embed: Callable[[Sequence[Ink]], np.ndarray] | None
    ) -> str:
        """Take over a memory of another model: re-embed its inks, or start them over."""
        keep = [i for i, ink in enumerate(state.inks) if ink is not None]
        inks = [ink for ink in state.inks if ink is not None]
        if embed is not None and inks:
            try:
                emb = np.asarray(embed(inks), np.float32)
                if emb.ndim != 2 or emb.shape[0] != len(inks) or not np.isfinite(emb).all():
                    raise ValueError(f"embed returned shape {emb.shape} for {len(inks)} inks")
            except (EngineError, ValueError) as e:
                logger.warning("user memory: re-embedding failed: %s", e)
            else:
                norms = np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
                chars = [state.chars[i] for i in keep]
                s = MemoryState(
                    self.model_sha256, state.clock, chars, emb / norms,
                    state.time[keep], state.weight[keep], list(inks), state.words,
                )  # fmt: skip
                with self._lock:
                    self._set(s)
                    self._bound()
                return (
                    f"the recognition model changed: the {len(inks)} remembered inks were "
                    "read again with the new model"
                )
        with self._lock:
            self._clock = max(state.clock, 1)
        return (
            "the recognition model changed and the remembered inks could not be read again: "
            "the memory of your handwriting starts over (your words are kept)"
        )

    def save(self, path: Path) -> None:
        """Write the memory to ``path`` atomically, readable by the user only (0600)."""
        with self._lock:
            s = MemoryState(
                self.model_sha256,
                self._clock,
                self._chars.tolist(),
                self._emb,
                self._time,
                self._weight,
                list(self._inks),
                self.words.to_dict(),
            )
            write_state(Path(path), s)

    # -- learning -----------------------------------------------------------------------

    def learn(
        self, char: str, embedding: np.ndarray, ink: Ink | None = None, rank: int = 0
    ) -> None:
        """The user picked ``char`` for the ink whose embedding (D,) is given; ``rank``: where
        ``char`` stood among the candidates shown (0: first, a confirmation)."""
        if not isinstance(char, str) or len(char) != 1:
            raise ValueError(f"char must be one character, got {char!r}")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 0:
            raise ValueError(f"rank must be an integer >= 0, got {rank!r}")
        e = _unit(embedding)
        cfg = self.config
        with self._lock:
            if len(self._emb) and e.shape[0] != self._emb.shape[1]:
                raise MemoryError(
                    f"an embedding of {e.shape[0]} values for a memory of {self._emb.shape[1]}: "
                    "it was made with another model (open it with UserMemory.open and embed=)"
                )
            self._clock += 1
            if not e.any():
                return
            weight = 1.0 if rank > 0 else cfg.confirm
            if len(self._emb):
                sims = _cosines(e[None], self._emb)[0]
                same = self._chars == char
                near_same = same & (sims >= cfg.near)
                self._time[near_same] = self._clock  # picked again: young again
                self._weight[near_same] = np.maximum(self._weight[near_same], weight)
                z = cfg.sharpness * (sims - cfg.near) + np.log(np.maximum(self._weights(), 1e-30))
                if rank == 0 and (~same & (z > -1.0)).any():
                    weight = 1.0  # contested: another character's ink lifted it by 0.3+ nats
                self._weight[~same & (sims >= cfg.supersede)] *= np.float32(cfg.outvote)
                if (same & (sims >= cfg.duplicate)).any():
                    return
            if weight <= 0.0:
                return
            self._append(char, e, ink, weight)
            self._bound()

    def learn_text(self, text: str, context: str | None = None) -> None:
        """Text the user committed: its characters and pairs lift their prior (user words).
        ``context``: the text before it (None: what was learned last; engine.user_words)."""
        self.words.learn_text(text, context)

    def forget(self) -> None:
        """Forget every stored ink and word."""
        with self._lock:
            self.words.forget()
            self._set(
                MemoryState(
                    self.model_sha256,
                    0,
                    [],
                    np.zeros((0, 0), np.float32),
                    np.zeros(0, np.int64),
                    np.zeros(0, np.float32),
                    [],
                    {},
                )
            )

    def characters(self) -> int:
        """How many distinct characters have stored inks."""
        with self._lock:
            return len(set(self._chars.tolist()))

    def __len__(self) -> int:
        return len(self._chars)

    # -- reading ------------------------------------------------------------------------

    def bonus(self, embeddings: np.ndarray, charset: str) -> np.ndarray | None:
        """M (B, C) float32 for the inks of embeddings (B, D) over the classes of ``charset``;
        None when no stored ink is near any of them (nothing to add). See the module doc."""
        cfg = self.config
        q = np.asarray(embeddings, np.float32)
        with self._lock:
            if not len(self._emb) or q.ndim != 2 or q.shape[1] != self._emb.shape[1]:
                return None
            q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
            sims = _cosines(q, self._emb)  # (B, N)
            rows, cols = np.nonzero(sims > cfg.near - _REACH / cfg.sharpness)
            if not len(rows):
                return None
            cls = self._class_of(charset)[cols]
            logw = np.log(np.maximum(self._weights()[cols], 1e-30))
        ok = cls >= 0
        if not ok.any():
            return None
        rows, cls = rows[ok], cls[ok]
        z = (cfg.sharpness * (sims[rows, cols[ok]] - cfg.near) + logw[ok]).astype(np.float64)
        # log-sum-exp of z over the stored inks of each (row, class), then softplus and the cap
        key = rows.astype(np.int64) * len(charset) + cls
        uniq, inv = np.unique(key, return_inverse=True)
        top = np.full(len(uniq), -np.inf)
        np.maximum.at(top, inv, z)
        total = np.zeros(len(uniq))
        np.add.at(total, inv, np.exp(z - top[inv]))
        lse = top + np.log(total)
        m = np.minimum(np.logaddexp(0.0, lse), cfg.bonus)
        out = np.zeros((len(q), len(charset)), np.float32)
        out.reshape(-1)[uniq] = m
        return out

    def word_boost(self, context: str, prior: np.ndarray, charset: str) -> None:
        """Add the user's words' lift to ``prior`` (C,), log P_LM(c | context), in place."""
        self.words.boost(context, prior, charset, self._index(charset))

    # -- internals ----------------------------------------------------------------------

    def _weights(self) -> np.ndarray:
        age = (self._clock - self._time).astype(np.float32)
        w: np.ndarray = self._weight * np.exp2(-age / np.float32(self.config.half_life))
        return w

    def _append(self, char: str, e: np.ndarray, ink: Ink | None, weight: float) -> None:
        emb = e[None] if not len(self._emb) else np.vstack([self._emb, e[None]])
        self._emb = np.ascontiguousarray(emb, np.float32)
        self._chars = np.append(self._chars, np.array([char], "<U1"))
        self._time = np.append(self._time, np.int64(self._clock))
        self._weight = np.append(self._weight, np.float32(weight))
        self._inks.append(ink)
        self._classes = None

    def _bound(self) -> None:
        """Drop the least weighty inks of a character past per_char, then past max_inks."""
        cfg = self.config
        w = self._weights()
        drop = np.zeros(len(w), bool)
        chars, counts = np.unique(self._chars, return_counts=True)
        for c in chars[counts > cfg.per_char]:
            idx = np.flatnonzero(self._chars == c)
            drop[idx[np.argsort(w[idx], kind="stable")[: len(idx) - cfg.per_char]]] = True
        extra = int((~drop).sum()) - cfg.max_inks
        if extra > 0:
            alive = np.flatnonzero(~drop)
            drop[alive[np.argsort(w[alive], kind="stable")[:extra]]] = True
        if drop.any():
            keep = ~drop
            self._emb, self._chars = self._emb[keep], self._chars[keep]
            self._time, self._weight = self._time[keep], self._weight[keep]
            self._inks = [ink for ink, k in zip(self._inks, keep, strict=True) if k]
            self._classes = None

    def _index(self, charset: str) -> dict[str, int]:
        """char -> class for ``charset``, shared by every memory (a few charsets at most)."""
        with _INDEX_LOCK:
            cached = _INDEX.get(charset)
            if cached is None:
                cached = {c: i for i, c in enumerate(charset)}
                if len(_INDEX) >= 4:
                    _INDEX.pop(next(iter(_INDEX)))
                _INDEX[charset] = cached
            return cached

    def _class_of(self, charset: str) -> np.ndarray:
        if self._classes is None or self._classes[0] is not charset:
            index = self._index(charset)
            cls = np.array([index.get(c, -1) for c in self._chars.tolist()], np.intp)
            self._classes = (charset, cls)
        return self._classes[1]


_INDEX: dict[str, dict[str, int]] = {}
_INDEX_LOCK = threading.Lock()
#: Stored inks whose kernel is below exp(-_REACH) are left out of the bonus (it adds < 0.007 nats).
_REACH = 5.0


def _cosines(q: np.ndarray, emb: np.ndarray) -> np.ndarray:
    """q (B, D) @ emb (N, D).T in blocks of _BLOCK rows of emb: OpenBLAS threads a product of
    3000 x 512 and, beside other busy threads, took 8 ms for what one thread does in 0.2 ms
    (bench/bench_memory.py); each block stays under its threading threshold."""
    if len(emb) <= _BLOCK:
        out: np.ndarray = q @ emb.T
        return out
    return np.concatenate([q @ emb[i : i + _BLOCK].T for i in range(0, len(emb), _BLOCK)], axis=1)


_BLOCK = 256


def _unit(embedding: np.ndarray) -> np.ndarray:
    e = np.asarray(embedding, np.float32)
    if e.ndim != 1 or not len(e) or not np.isfinite(e).all():
        raise ValueError(f"embedding must be a finite vector (D,), got shape {e.shape}")
    norm = float(np.linalg.norm(e))
    return e / norm if norm > 0 else e
