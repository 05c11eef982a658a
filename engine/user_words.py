"""The user's own words: characters and pairs the user commits raise their prior (issue 28 item 3).

A cache language model (Kuhn and De Mori, "A cache-based natural language model for speech
recognition", TPAMI 1990), as a pinyin input method's user dictionary: the prior of the
context ranking (engine.ranking) becomes

    P'(c | h) = (1 - lam) * P_LM(c | h) + lam * P_user(c | h)

with P_user the user's own counts: the pair (h[-1], c) interpolated with the character c alone
(Witten-Bell: the more the user wrote after h[-1], the more the pair counts). Leaving out the
constant log(1 - lam), which every class shares, that is an additive boost to the log prior

    log P'(c | h) = log P_LM(c | h) + log(1 + lam / (1 - lam) * P_user(c | h) / P_LM(c | h))

non-zero only for characters the user has written, and capped at ``cap`` nats so a rare
character the user writes often is lifted, never forced. Counts decay: when their total passes
``max_mass`` every count is halved (those below a half dropped), the adaptive counting of
compression models, and the table keeps at most ``max_entries`` of each kind.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from engine.language import is_hanzi


@dataclass(frozen=True)
class WordsConfig:
    """How the user's words lift the prior.

    Attributes:
        weight: lam, the cache's share of the prior (0 turns user words off).
        cap: the largest boost of one character's log prior (nats).
        max_mass: characters counted before every count is halved (the decay).
        max_entries: most characters, and most pairs, kept (the rarest dropped first).
        pair_k: Witten-Bell's constant: after a character written k times, its pairs
            weigh half of P_user.
    """

    # Chosen on the synthetic stress writers' text (bench/eval_learn.py --words, docs/memory.md).
    weight: float = 0.1
    cap: float = 3.0
    max_mass: float = 20000.0
    max_entries: int = 5000
    pair_k: float = 2.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.weight < 1.0):
            raise ValueError(f"WordsConfig.weight must be in [0, 1), got {self.weight!r}")
        if not (0.0 <= self.cap <= 20.0):
            raise ValueError(f"WordsConfig.cap must be in [0, 20], got {self.cap!r}")
        if not (1.0 <= self.max_mass <= 1e7) or not (1 <= self.max_entries <= 100_000):
            raise ValueError("WordsConfig.max_mass must be in [1, 1e7], max_entries in 1..100000")
        if not (0.0 < self.pair_k <= 1000.0):
            raise ValueError(f"WordsConfig.pair_k must be in (0, 1000], got {self.pair_k!r}")


class UserWords:
    """Counts of the hanzi and hanzi pairs a user committed; thread-safe."""

    def __init__(self, config: WordsConfig = WordsConfig()) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._chars: dict[str, float] = {}
        self._pairs: dict[str, float] = {}  # "ab": b written after a
        self._after: dict[str, float] = {}  # "a": the pairs' total after a

    def __len__(self) -> int:
        return len(self._chars)

    def learn_text(self, text: str) -> None:
        """Count the hanzi of ``text`` and each pair of hanzi written one after the other."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        with self._lock:
            prev = ""
            for c in text:
                if not is_hanzi(c):
                    prev = ""
                    continue
                self._chars[c] = self._chars.get(c, 0.0) + 1.0
                if prev:
                    self._pairs[prev + c] = self._pairs.get(prev + c, 0.0) + 1.0
                    self._after[prev] = self._after.get(prev, 0.0) + 1.0
                prev = c
            if sum(self._chars.values()) > self.config.max_mass:
                self._halve()
            self._bound()

    def forget(self) -> None:
        with self._lock:
            self._chars.clear()
            self._pairs.clear()
            self._after.clear()

    def boost(
        self, context: str, prior: np.ndarray, charset: str, index: Mapping[str, int]
    ) -> None:
        """Add the user's boost to ``prior`` (C,) float32, log P_LM(c | context) over
        ``charset`` (``index``: char -> its class), in place."""
        lam = self.config.weight
        if lam <= 0.0:
            return
        with self._lock:
            if not self._chars:
                return
            total = sum(self._chars.values())
            last = context[-1] if context and is_hanzi(context[-1]) else ""
            after = self._after.get(last, 0.0) if last else 0.0
            mu = after / (after + self.config.pair_k) if after else 0.0
            p_user: dict[int, float] = {}
            for c, n in self._chars.items():
                i = index.get(c)
                if i is not None:
                    p_user[i] = (1.0 - mu) * n / total
            if mu:
                for pair, n in self._pairs.items():
                    if pair[0] == last:
                        i = index.get(pair[1])
                        if i is not None:
                            p_user[i] = p_user.get(i, 0.0) + mu * n / after
        if not p_user:
            return
        idx = np.fromiter(p_user, dtype=np.intp, count=len(p_user))
        pu = np.fromiter(p_user.values(), dtype=np.float64, count=len(p_user))
        ratio = lam / (1.0 - lam) * pu / np.exp(prior[idx].astype(np.float64))
        prior[idx] += np.minimum(np.log1p(ratio), self.config.cap).astype(np.float32)

    def to_dict(self) -> dict[str, dict[str, float]]:
        """The counts (for the memory file's header)."""
        with self._lock:
            return {"chars": dict(self._chars), "pairs": dict(self._pairs)}

    @classmethod
    def from_dict(cls, data: object, config: WordsConfig = WordsConfig()) -> UserWords:
        """Counts read back from ``to_dict``'s form; ValueError on anything else."""
        if not isinstance(data, dict) or set(data) != {"chars", "pairs"}:
            raise ValueError("user words must be an object with 'chars' and 'pairs'")
        out = cls(config)
        for key, length, table in (("chars", 1, out._chars), ("pairs", 2, out._pairs)):
            part = data[key]
            if not isinstance(part, dict) or len(part) > config.max_entries:
                raise ValueError(
                    f"user words: '{key}' must be an object of at most {config.max_entries} counts"
                )
            for k, v in part.items():
                ok_key = len(k) == length and all(is_hanzi(c) for c in k)
                ok_val = isinstance(v, (int, float)) and not isinstance(v, bool)
                if not ok_key or not ok_val or not (0.0 < float(v) <= config.max_mass):
                    raise ValueError(f"user words: bad entry {k[:8]!r} in '{key}'")
                table[k] = float(v)
        for pair, n in out._pairs.items():
            out._after[pair[0]] = out._after.get(pair[0], 0.0) + n
        return out

    def _halve(self) -> None:
        for table in (self._chars, self._pairs):
            for k in list(table):
                table[k] *= 0.5
                if table[k] < 0.5:
                    del table[k]
        self._recount()

    def _bound(self) -> None:
        cap = self.config.max_entries
        changed = False
        for table in (self._chars, self._pairs):
            if len(table) > cap:
                keep = sorted(table.items(), key=lambda kv: -kv[1])[:cap]
                table.clear()
                table.update(keep)
                changed = True
        if changed:
            self._recount()

    def _recount(self) -> None:
        self._after.clear()
        for pair, n in self._pairs.items():
            self._after[pair[0]] = self._after.get(pair[0], 0.0) + n
