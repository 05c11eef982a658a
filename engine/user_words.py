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

    # Chosen on the synthetic stress writers' text (24 x 350 characters, docs/memory.md): lam
    # 0.05 / 0.1 / 0.2 / 0.3 took top-1 +0.04 / +0.13 / -0.01 / -0.15 points; at lam 0.1 a
    # cap of 3 / 1.5 / 1 nats cost the first ink of each character 0.54 / 0.45 / 0.32 points
    # (the characters written before are lifted against it) for +0.13 / +0.18 / +0.23 overall.
    weight: float = 0.1
    cap: float = 1.0
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
        self._pairs: dict[str, dict[str, float]] = {}  # a -> {b: times b was written after a}
        self._last = ""  # the last hanzi learned (not saved)
        self._vector: tuple[str, np.ndarray, np.ndarray] | None = None  # charset, classes, n

    def __len__(self) -> int:
        return len(self._chars)

    def learn_text(self, text: str, context: str | None = None) -> None:
        """Count the hanzi of ``text`` and each pair of hanzi written one after the other.

        ``context``: the text just before ``text`` ("" a text's start); None: the end of the
        text learned last, so a pad committing one character at a time still counts pairs.
        """
        if not isinstance(text, str) or not isinstance(context, (str, type(None))):
            raise TypeError("text must be a str and context a str or None")
        with self._lock:
            prev = self._last if context is None else context[-1:]
            prev = prev if prev and is_hanzi(prev) else ""
            for c in text:
                if not is_hanzi(c):
                    prev = ""
                    continue
                self._chars[c] = self._chars.get(c, 0.0) + 1.0
                if prev:
                    follow = self._pairs.setdefault(prev, {})
                    follow[c] = follow.get(c, 0.0) + 1.0
                prev = c
            self._last = prev
            self._vector = None
            if sum(self._chars.values()) > self.config.max_mass:
                self._halve()
            self._bound()

    def forget(self) -> None:
        with self._lock:
            self._chars.clear()
            self._pairs.clear()
            self._last = ""
            self._vector = None

    def boost(
        self, context: str, prior: np.ndarray, charset: str, index: Mapping[str, int]
    ) -> None:
        """Add the user's boost to ``prior`` (C,) float32, log P_LM(c | context) over
        ``charset`` (``index``: char -> its class), in place. Vectorized: the unigram
        counts are cached as arrays per charset; only the pairs after context[-1] are looped."""
        lam = self.config.weight
        if lam <= 0.0 or not self._chars:
            return
        last = context[-1] if context and is_hanzi(context[-1]) else ""
        with self._lock:
            idx, counts = self._unigrams(charset, index)
            follow = dict(self._pairs.get(last, {})) if last else {}
        total = float(counts.sum()) if len(counts) else 0.0
        after = sum(follow.values())
        mu = after / (after + self.config.pair_k)
        p = np.zeros(len(prior), np.float64)
        if total > 0:
            p[idx] = (1.0 - mu) * counts / total
        for b, n in follow.items():
            i = index.get(b)
            if i is not None:
                p[i] += mu * n / after
        hit = np.flatnonzero(p)
        if not len(hit):
            return
        ratio = lam / (1.0 - lam) * p[hit] / np.exp(prior[hit].astype(np.float64))
        prior[hit] += np.minimum(np.log1p(ratio), self.config.cap).astype(np.float32)

    def _unigrams(self, charset: str, index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
        v = self._vector
        if v is None or v[0] is not charset:
            pairs = [(index[c], n) for c, n in self._chars.items() if c in index]
            idx = np.array([i for i, _ in pairs], np.intp)
            counts = np.array([n for _, n in pairs], np.float64)
            v = self._vector = (charset, idx, counts)
        return v[1], v[2]

    def to_dict(self) -> dict[str, dict[str, float]]:
        """The counts (for the memory file's header): {"chars": {c: n}, "pairs": {"ab": n}}."""
        with self._lock:
            pairs = {a + b: n for a, follow in self._pairs.items() for b, n in follow.items()}
            return {"chars": dict(self._chars), "pairs": pairs}

    @classmethod
    def from_dict(cls, data: object, config: WordsConfig = WordsConfig()) -> UserWords:
        """Counts read back from ``to_dict``'s form ({} for none); ValueError on anything else."""
        out = cls(config)
        if data == {}:
            return out
        if not isinstance(data, dict) or set(data) != {"chars", "pairs"}:
            raise ValueError("user words must be an object with 'chars' and 'pairs'")
        for key, length in (("chars", 1), ("pairs", 2)):
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
                if length == 1:
                    out._chars[k] = float(v)
                else:
                    out._pairs.setdefault(k[0], {})[k[1]] = float(v)
        return out

    def _halve(self) -> None:
        """Every count halved, those below a half dropped (the decay)."""
        self._chars = {c: n / 2 for c, n in self._chars.items() if n >= 1.0}
        pairs = {a: {b: n / 2 for b, n in f.items() if n >= 1.0} for a, f in self._pairs.items()}
        self._pairs = {a: f for a, f in pairs.items() if f}

    def _bound(self) -> None:
        """At most max_entries characters and pairs: past it, the rarest go (to 90% of it)."""
        cap = self.config.max_entries
        if len(self._chars) > cap:
            keep = sorted(self._chars.items(), key=lambda kv: -kv[1])[: cap * 9 // 10]
            self._chars = dict(keep)
        if sum(len(f) for f in self._pairs.values()) > cap:
            flat = sorted(
                ((n, a, b) for a, f in self._pairs.items() for b, n in f.items()), reverse=True
            )
            self._pairs = {}
            for n, a, b in flat[: cap * 9 // 10]:
                self._pairs.setdefault(a, {})[b] = n
