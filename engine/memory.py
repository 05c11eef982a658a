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
from engine.memory_kernel import MemoryConfig, cosines, kernel_bonus, reach, unit
from engine.user_words import UserWords

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
#: The settings a memory gets unless told otherwise (MemoryConfig's defaults).
DEFAULT_CONFIG = MemoryConfig()


class UserMemory:
    """One user's stored inks and words, tied to the model (package sha256) that embedded them."""

    def __init__(self, model_sha256: str, config: MemoryConfig = DEFAULT_CONFIG) -> None:
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
        config: MemoryConfig = DEFAULT_CONFIG,
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
        config: MemoryConfig = DEFAULT_CONFIG,
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
        e = unit(embedding)
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
                sims = cosines(e[None], self._emb)[0]
                same = self._chars == char
                # each stored ink's log kernel at this ink, as the ink was read
                z = cfg.sharpness * (sims - cfg.near) + np.log(np.maximum(self._weights(), 1e-30))
                if rank == 0 and (~same & (z > -1.0)).any():
                    weight = 1.0  # contested: another character's ink lifted it by 0.3+ nats
                elif rank > 0:
                    # A rival ink in this very place, at least as strong as the character's own
                    # inks, made the miss: outvote it (a mistaken pick undone). Rivals weaker
                    # than the own inks stay: two characters a writer makes alike (便 / 使)
                    # keep their inks and are told apart by nearness.
                    own = float(z[same].max()) if same.any() else -np.inf
                    strong = ~same & (sims >= cfg.supersede) & (z >= own)
                    self._weight[strong] *= np.float32(cfg.outvote)
                near_same = same & (sims >= cfg.near)
                self._time[near_same] = self._clock  # picked again: young again
                self._weight[near_same] = np.maximum(self._weight[near_same], weight)
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
            sims = cosines(q, self._emb)  # (B, N)
            rows, cols = np.nonzero(sims > reach(cfg))
            if not len(rows):
                return None
            cls = self._class_of(charset)[cols]
            logw = np.log(np.maximum(self._weights()[cols], 1e-30))
        ok = cls >= 0
        if not ok.any():
            return None
        sims_ok = sims[rows[ok], cols[ok]]
        return kernel_bonus(sims_ok, rows[ok], cls[ok], logw[ok], cfg, (len(q), len(charset)))

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
