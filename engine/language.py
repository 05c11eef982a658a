"""A character language model: the chance of each next character given the text before it.

numpy only. The bundled model (``resources/lm/lm.npz``, built by ``resources/lm/regenerate.py``,
see docs/language.md) loads on first use. Context is the text just before the character being
written, any length; the model reads its last ``order - 1`` characters, and anything that is
not a hanzi it knows is a boundary: the history restarts there, as at the start of a text.

The file is an .npz (no pickles) of an interpolated modified Kneser-Ney n-gram stored in
backoff form (as ARPA files store it), as a trie, with token 0 the start of a text and token
1 + i the hanzi ``vocab[i]``:

- ``magic`` uint8 ``b"xiezi-lm"``, ``version`` int64 (1,) = FORMAT_VERSION;
- ``vocab`` uint32 (V-1,) code points, strictly increasing; ``suggest`` uint8 (V-1,) 1 where
  ``following`` may offer the hanzi; ``unigram`` float32 (V,) log P(c) (index 0 unused);
- per order k = 2..order, one level of the trie: ``rowlen{k}`` uint32, per parent (for k = 2
  each token (V,), for k > 2 each stored (k-1)-gram in file order) the number of stored
  k-grams that extend it; ``backoff{k}`` float16, the log backoff weight of each parent with
  a non-zero rowlen; then parent after parent ``succ{k}`` uint16 (ascending under a parent)
  and ``q{k}`` uint8, an index into ``codebook{k}`` float32 of log P(succ | parent).

log P(c | h) = the stored value at the longest history found that stores c, plus the log
backoffs of every longer history found (a history not stored backs off with weight 1).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.archive import load_npy, read_file, read_members
from engine.errors import EngineError
from engine.resources import resource_path

logger = logging.getLogger(__name__)

#: The bundled model, as parts under the resources folder.
DEFAULT_LM = ("lm", "lm.npz")
MAGIC = b"xiezi-lm"
#: The file layout this engine reads (see the module docstring).
FORMAT_VERSION = 1
MAX_ORDER = 4
#: Hanzi at most: the keys of MAX_ORDER tokens in base V must fit int64 (55108 ** 4 < 2 ** 63).
MAX_VOCAB = 55000
#: Stored log-probabilities and log backoff weights lie in [-LOG_FLOOR, ...].
LOG_FLOOR = 1000.0
#: log P given to characters the model has never seen, below its rarest hanzi (nats).
UNSEEN_MARGIN = 1.0
#: Per-charset caches kept (the recognizer's class list, following's list, a few more).
MAX_CHARSETS = 8
FIX = "rebuild it with `python resources/lm/regenerate.py` (or reinstall Xiezi)"


class LanguageModelError(EngineError):
    """A language model file that is missing, corrupt or of another version."""


def is_hanzi(c: str) -> bool:
    """Whether ``c`` is in the CJK Unified Ideographs block (U+4E00..U+9FFF)."""
    return "\u4e00" <= c <= "\u9fff"


@dataclass(frozen=True)
class _Order:
    """One stored order: ``keys`` int64 (H,) histories in base V; ``offsets`` int64 (H+1,)."""

    keys: np.ndarray
    backoff: np.ndarray  # float64 (H,)
    offsets: np.ndarray
    succ: np.ndarray  # intp (E,): indexing with intp is 15% faster than with uint16
    logp: np.ndarray  # float32 (E,)


@dataclass(frozen=True)
class _Data:
    vocab: str
    index: dict[str, int]
    unigram: np.ndarray  # float32 (V,)
    floor: float
    suggest: str
    orders: tuple[_Order, ...]


@dataclass(frozen=True)
class _Charset:
    pos: np.ndarray  # intp (V,): where token t goes in the unique charset, -1 if not there
    base: np.ndarray  # float32 (U,): the unigram log-probabilities of the unique charset
    expand: np.ndarray | None  # intp (len(charset),) when the charset repeats characters


class LanguageModel:
    """P(next character | context); thread-safe; loads lazily (``load`` loads at once)."""

    _default: LanguageModel | None = None
    _default_lock = threading.Lock()

    def __init__(self, path: str | Path | None = None) -> None:
        """A model read from ``path`` (None: the bundled one) at its first use."""
        self._path = Path(path) if path is not None else resource_path(*DEFAULT_LM)
        self._data: _Data | None = None
        self._lock = threading.Lock()
        self._charsets: dict[str, _Charset] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> LanguageModel:
        """Load now from ``path`` (None: the bundled ``resources/lm/lm.npz``).

        Raises:
            LanguageModelError: the file is missing, corrupt or of another format version.
        """
        lm = cls(path)
        lm._ensure()
        return lm

    @classmethod
    def default(cls) -> LanguageModel:
        """The process-wide bundled model, loaded on first use of its data."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    @property
    def path(self) -> Path:
        return self._path

    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def vocabulary(self) -> str:
        """Every hanzi the model knows, in code-point order."""
        return self._ensure().vocab

    @property
    def order(self) -> int:
        """The longest n-gram: the model reads the last ``order - 1`` characters of a context."""
        return len(self._ensure().orders) + 1

    def log_probs(self, context: str, charset: str) -> np.ndarray:
        """Natural-log P(c | context) for each character c of ``charset``: float32 (len(charset),).

        ``context`` "" means the start of a text. Characters the model has never seen get a
        small floor probability, never -inf. Cached per charset: after the first call for a
        charset, one call takes well under 0.1 ms.
        """
        if not isinstance(context, str) or not isinstance(charset, str):
            raise TypeError("context and charset must be str")
        data = self._ensure()
        cs = self._charset(charset, data)
        hist = self._history(context, data)
        base = len(data.unigram)
        backoffs, rows = [], []
        for k, o in enumerate(data.orders, start=2):
            if len(hist) < k - 1 or not len(o.keys):
                backoffs.append(0.0)
                continue
            key = 0
            for t in hist[len(hist) - (k - 1) :]:
                key = key * base + t
            i = int(o.keys.searchsorted(key))
            if i < len(o.keys) and o.keys[i] == key:
                backoffs.append(float(o.backoff[i]))
                rows.append((k - 2, int(o.offsets[i]), int(o.offsets[i + 1])))
            else:
                backoffs.append(0.0)
        after = np.cumsum([0.0, *backoffs[::-1]])[::-1]  # after[j]: backoffs of orders > j + 1
        out = cs.base + np.float32(after[0])
        for j, start, end in rows:  # lower orders first: a longer history overwrites
            o = data.orders[j]
            pos = cs.pos[o.succ[start:end]]
            there = pos >= 0
            out[pos[there]] = o.logp[start:end][there] + np.float32(after[j + 1])
        return out if cs.expand is None else out[cs.expand]

    def following(self, context: str, n: int = 10) -> list[str]:
        """The ``n`` hanzi most likely to come next after ``context``, best first (联想).

        Offered from the model's common hanzi (GB2312 level 1 and the most frequent others);
        an empty context gives the most frequent of them.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be an int >= 0, got {n!r}")
        if not isinstance(context, str):
            raise TypeError("context must be str")
        data = self._ensure()
        if n == 0 or not data.suggest:
            return []
        if context == "":
            scores = self._charset(data.suggest, data).base
        else:
            scores = self.log_probs(context, data.suggest)
        if n < len(scores):  # the n best in any order, then sorted (ties: code point order)
            top = np.argpartition(-scores, n - 1)[:n]
            best = top[np.lexsort((top, -scores[top]))]
        else:
            best = np.lexsort((np.arange(len(scores)), -scores))
        return [data.suggest[i] for i in best]

    def _history(self, context: str, data: _Data) -> list[int]:
        """The token ids the model reads: at most order - 1, the text start (0) first if seen."""
        need = len(data.orders)
        out: list[int] = []
        for c in reversed(context[-need:] if need else ""):
            t = data.index.get(c)
            if t is None:
                out.append(0)
                break
            out.append(t)
        else:
            if len(context) < need:
                out.append(0)
        return out[::-1]

    def _charset(self, charset: str, data: _Data) -> _Charset:
        cs = self._charsets.get(charset)
        if cs is not None:
            return cs
        unique = "".join(dict.fromkeys(charset))
        pos = np.full(len(data.unigram), -1, dtype=np.intp)
        base = np.full(len(unique), data.floor, dtype=np.float32)
        for i, c in enumerate(unique):
            t = data.index.get(c)
            if t is not None:
                pos[t] = i
                base[i] = data.unigram[t]
        expand = None
        if len(unique) != len(charset):
            where = {c: i for i, c in enumerate(unique)}
            expand = np.array([where[c] for c in charset], dtype=np.intp)
        cs = _Charset(pos, base, expand)
        with self._lock:
            if len(self._charsets) >= MAX_CHARSETS:
                self._charsets.pop(next(iter(self._charsets)))
            self._charsets[charset] = cs
        return cs

    def _ensure(self) -> _Data:
        data = self._data
        if data is not None:
            return data
        with self._lock:
            if self._data is None:
                self._data = _read(self._path)
                logger.info(
                    "language model %s: %d hanzi, order %d",
                    self._path,
                    len(self._data.vocab),
                    len(self._data.orders) + 1,
                )
            return self._data


def _read(path: Path) -> _Data:
    """Read and check a model file (see the module docstring). Raises LanguageModelError."""

    def fail(reason: str) -> LanguageModelError:
        return LanguageModelError(f"the language model {path} is unusable: {reason}; {FIX}")

    members = read_members(read_file(path, fail), fail)
    arrays: dict[str, np.ndarray] = {}
    for name, blob in members.items():
        if not name.endswith(".npy"):
            raise fail(f"unexpected member {name!r}")
        try:
            arrays[name[:-4]] = load_npy(blob, 256 << 20)
        # numpy parses a damaged header with ast/tokenize, which can raise more than
        # ValueError (tokenize.TokenError, RecursionError): all of it means a damaged member.
        except Exception as e:
            raise fail(f"member {name} is not a plain array ({e})") from e
    try:
        return _check(arrays)
    except ValueError as e:
        raise fail(str(e)) from e


def _get(arrays: dict[str, np.ndarray], name: str, dtype: str, ndim: int) -> np.ndarray:
    a = arrays.get(name)
    if a is None:
        raise ValueError(f"member {name} is missing")
    if a.dtype != np.dtype(dtype) or a.ndim != ndim:
        raise ValueError(f"member {name} is {a.dtype} with {a.ndim} dims, expected {dtype}, {ndim}")
    return a


def _finite(a: np.ndarray, name: str, top: float = 1e-3) -> None:
    """Every value a log-probability (or weight, ``top`` > 0) in [-LOG_FLOOR, top]: sums of a
    few of them stay finite in float32."""
    if not np.all(np.isfinite(a)) or (
        a.size and not -LOG_FLOOR <= float(a.min()) <= float(a.max()) <= top
    ):
        raise ValueError(f"{name} holds a value that is not a finite log-probability")


def _check(arrays: dict[str, np.ndarray]) -> _Data:
    """Validate every shape, dtype and range, then index the model. Raises ValueError."""
    if _get(arrays, "magic", "uint8", 1).tobytes() != MAGIC:
        raise ValueError("not a Xiezi language model (bad magic)")
    version = _get(arrays, "version", "int64", 1)
    if version.shape != (1,) or int(version[0]) != FORMAT_VERSION:
        raise ValueError(f"format version {version.tolist()}, this engine reads {FORMAT_VERSION}")
    cps = _get(arrays, "vocab", "<u4", 1)
    if not len(cps) or len(cps) >= MAX_VOCAB or np.any(np.diff(cps.astype(np.int64)) <= 0):
        raise ValueError("the vocabulary is empty, too large or not strictly increasing")
    if cps[0] < 0x4E00 or cps[-1] > 0x9FFF:
        raise ValueError("the vocabulary holds a character that is not a hanzi")
    vocab = cps.astype("<u4").tobytes().decode("utf-32-le")
    v = len(vocab) + 1
    unigram = _get(arrays, "unigram", "float32", 1)
    suggest = _get(arrays, "suggest", "uint8", 1)
    if unigram.shape != (v,) or suggest.shape != (v - 1,) or np.any(suggest > 1):
        raise ValueError("unigram or suggest does not match the vocabulary")
    _finite(unigram, "unigram")
    orders: list[_Order] = []
    parent_keys = np.arange(v, dtype=np.int64)  # order 2's parents: every token
    k = 2
    while f"rowlen{k}" in arrays and k <= MAX_ORDER:
        order, parent_keys = _check_order(arrays, k, v, parent_keys)
        orders.append(order)
        k += 1
    known = {"magic", "version", "vocab", "unigram", "suggest"} | {
        f"{m}{j}" for j in range(2, k) for m in ("rowlen", "backoff", "succ", "q", "codebook")
    }
    if set(arrays) - known:
        raise ValueError(f"unexpected members {sorted(set(arrays) - known)}")
    uni = unigram.copy()
    uni[0] = 0.0
    floor = float(unigram[1:].min()) - UNSEEN_MARGIN
    picked = "".join(c for c, s in zip(vocab, suggest, strict=False) if s)
    return _Data(vocab, {c: i + 1 for i, c in enumerate(vocab)}, uni, floor, picked, tuple(orders))


def _check_order(
    arrays: dict[str, np.ndarray], k: int, v: int, parent_keys: np.ndarray
) -> tuple[_Order, np.ndarray]:
    """Order k's level of the trie under ``parent_keys`` (int64, the keys of its possible
    histories, increasing): (the order, the keys of its own n-grams)."""
    rowlen = _get(arrays, f"rowlen{k}", "uint32", 1)
    backoff = _get(arrays, f"backoff{k}", "float16", 1)
    succ = _get(arrays, f"succ{k}", "uint16", 1)
    q = _get(arrays, f"q{k}", "uint8", 1)
    book = _get(arrays, f"codebook{k}", "float32", 1)
    if rowlen.shape != parent_keys.shape:
        raise ValueError(f"rowlen{k} has {len(rowlen)} rows for {len(parent_keys)} parents")
    used = rowlen > 0
    counts = rowlen[used].astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    if backoff.shape != (len(counts),) or offsets[-1] != len(succ) or len(q) != len(succ):
        raise ValueError(f"order {k}: rowlen, backoff and the stored entries do not add up")
    if len(succ) and not 1 <= int(succ.min()) <= int(succ.max()) < v:
        raise ValueError(f"order {k}: a token id is out of range")
    if not len(book) or (len(q) and int(q.max()) >= len(book)):
        raise ValueError(f"order {k}: a code is outside the codebook")
    _finite(book, f"codebook{k}")
    _finite(backoff.astype(np.float32), f"backoff{k}", top=50.0)
    keys = parent_keys[used]
    entries = np.repeat(keys, counts) * v + succ
    if np.any(np.diff(entries) <= 0):
        raise ValueError(f"order {k}: successors are not strictly increasing under a parent")
    order = _Order(
        keys, backoff.astype(np.float64), offsets, succ.astype(np.intp), book[q].astype(np.float32)
    )
    return order, entries
