"""The recognizer: ink -> preprocessing -> ONNX model -> ranked candidate characters."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import EngineError, InkError
from engine.ink import Ink
from engine.language import LanguageModel, LanguageModelError
from engine.memory import MemoryError, UserMemory
from engine.opening import model_path, open_model
from engine.package import ModelPackage
from engine.preprocess import preprocess
from engine.protocol import Candidate
from engine.ranking import ContextOptions, fuse
from engine.runtime import check_threads
from engine.session import ModelSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecognizerOptions:
    """How the ONNX session runs (the session's settings: engine.session.session_options).

    Attributes:
        threads: intra-op threads of onnxruntime (1 keeps a pad from stealing cores and is
            what the latency figures are measured with).
        verify: run one tiny inference when loading, to check the model's output width
            against the charset even when the graph leaves it symbolic.
        context: how a context (the text before the ink) re-ranks the candidates
            (engine.ranking).
    """

    threads: int = 1
    verify: bool = True
    context: ContextOptions = field(default_factory=ContextOptions)


@dataclass(frozen=True)
class Reading:
    """What the recognizer read in one ink (Recognizer.read).

    Attributes:
        candidates: the best characters, best first.
        embedding: (D,) float32, the model's penultimate layer for this ink (what a
            UserMemory learns from: UserMemory.learn), None for a model without that output.
    """

    candidates: list[Candidate]
    embedding: np.ndarray | None


class Recognizer:
    """Recognizes characters with a model package; safe to share between threads.

    Implements engine.protocol.InkRecognizer.

    The package and ONNX session load lazily on first use (or ``load()``), under a lock;
    ``path=None`` means the bundled model (engine.resources.DEFAULT_MODEL). The language
    model that ranks with context (``language_model``; None: the bundled one,
    engine.language.LanguageModel.default()) loads at the first ink with a context; if it
    cannot, one warning is logged and inks are ranked by the network alone.
    """

    _default: Recognizer | None = None
    _default_lock = threading.Lock()

    def __init__(
        self,
        path: str | Path | None = None,
        options: RecognizerOptions = RecognizerOptions(),
        language_model: LanguageModel | None = None,
    ) -> None:
        check_threads(options.threads)  # at once, not at the lazy load (engine.runtime)
        self._path = Path(path) if path is not None else None
        self._options = options
        self._lm = language_model
        self._lm_failed = False
        self._lock = threading.Lock()
        self._package: ModelPackage | None = None
        self._session: ModelSession | None = None
        self._warned_no_embedding = False

    @classmethod
    def default(cls) -> Recognizer:
        """The process-wide recognizer of the bundled model (loaded on first use)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    @property
    def path(self) -> Path:
        return model_path(self._path)

    @property
    def package(self) -> ModelPackage:
        return self._load()[0]

    @property
    def charset(self) -> str:
        return self.package.charset

    @property
    def info(self) -> dict[str, Any]:
        return self.package.info

    def load(self) -> Recognizer:
        """Load now (instead of on first use); returns self. Raises ModelLoadError."""
        self._load()
        return self

    @property
    def has_embedding(self) -> bool:
        """Whether the model gives embeddings (a UserMemory needs them); loads the model."""
        return self._load()[1].has_embedding

    def recognize(
        self,
        ink: Ink,
        n: int = 10,
        context: str | None = None,
        memory: UserMemory | None = None,
    ) -> list[Candidate]:
        """The ``n`` most likely characters for one ink, best first.

        ``context``: the text written just before this character (any length; None: the
        ink's own ``context``). With a context the candidates are ranked with the language
        model (engine.ranking); without one (None) by the network alone. ``memory``: the
        user's memory (engine.memory) lifts characters whose stored inks are near this one,
        and with a context the user's words.
        """
        contexts = None if context is None else [context]
        return self._read([ink], n, contexts, memory, memory is not None)[0][0]

    def read(
        self,
        ink: Ink,
        n: int = 10,
        context: str | None = None,
        memory: UserMemory | None = None,
    ) -> Reading:
        """recognize() and the ink's embedding, from one run of the model (issue 28)."""
        cands, emb = self._read([ink], n, None if context is None else [context], memory, True)
        return Reading(cands[0], None if emb is None else emb[0])

    def recognize_batch(
        self,
        inks: Sequence[Ink],
        n: int = 10,
        contexts: Sequence[str | None] | None = None,
        memory: UserMemory | None = None,
    ) -> list[list[Candidate]]:
        """Like recognize for each ink; one model run over the batch, padded to the longest.

        ``contexts``: one per ink (None: each ink's own ``context``)."""
        return self._read(inks, n, contexts, memory, memory is not None)[0]

    def _read(
        self,
        inks: Sequence[Ink],
        n: int,
        contexts: Sequence[str | None] | None,
        memory: UserMemory | None,
        embed: bool,
    ) -> tuple[list[list[Candidate]], np.ndarray | None]:
        package, _ = self._load()
        if memory is not None and not isinstance(memory, UserMemory):
            raise ValueError(f"memory must be an engine.memory.UserMemory, not {type(memory)}")
        if contexts is not None and len(contexts) != len(inks):
            raise ValueError(f"{len(contexts)} contexts for {len(inks)} inks; give one per ink")
        feats = _features(inks, package)
        ctx = [
            c if c is not None else ink.context
            for c, ink in zip(contexts or [None] * len(inks), inks, strict=True)
        ]
        for i, c in enumerate(ctx):
            if c is not None and not isinstance(c, str):
                raise ValueError(f"context {i} must be a string or None, got {type(c).__name__}")
        return self._run(feats, n, ctx, memory, embed)

    def embed(self, inks: Sequence[Ink], batch: int = 32) -> np.ndarray:
        """The embeddings (N, D) of ``inks``, run in batches of inks of like length (what a
        UserMemory re-embeds its stored inks with after a model change: one ink at a time
        took 4.9 s for 3000 inks on the pad's worker).

        Raises:
            EngineError: the model has no embedding output.
            InkError: an ink is not an engine.Ink or cannot be preprocessed.
        """
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValueError(f"batch must be a positive integer, got {batch!r}")
        package, session = self._load()
        if not session.has_embedding:
            raise EngineError(f"{self.path} has no embedding output: re-export it (issue 28)")
        feats = _features(inks, package)
        order = sorted(range(len(feats)), key=lambda i: len(feats[i]))  # little padding
        out: np.ndarray | None = None
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            _, emb = self._run([feats[i] for i in rows], 1, embed=True)
            if emb is None:
                raise EngineError("the model gave no usable embeddings for these inks")
            if out is None:
                out = np.zeros((len(feats), emb.shape[1]), dtype=np.float32)
            out[rows] = emb
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def recognize_features(self, features: np.ndarray, n: int = 10) -> list[Candidate]:
        """Candidates for features (T, 6), T >= 1, made by engine.preprocess with this
        model's ``package.preprocess`` config (the trainer's validation path uses this)."""
        f = np.asarray(features)
        if f.ndim != 2 or f.shape[1] != 6 or f.shape[0] < 1:
            raise InkError(f"features must have shape (T, 6) with T >= 1, got {f.shape}")
        if f.dtype.kind not in "fiu" or not np.isfinite(f).all():
            raise InkError("features must be finite numbers")
        return self._run([f.astype(np.float32)], n)[0][0]

    def _run(
        self,
        feats: list[np.ndarray],
        n: int,
        contexts: Sequence[str | None] | None = None,
        memory: UserMemory | None = None,
        embed: bool = False,
    ) -> tuple[list[list[Candidate]], np.ndarray | None]:
        """Candidates of each row, and the embeddings (B, D) when ``embed`` (a model run that
        also fetches the penultimate layer) and the model has them."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if not feats:
            return [], None
        package, session = self._load()
        if len(feats) == 1:  # the pad's case: no padded copy
            batch = feats[0][None]
            lengths = np.array([len(feats[0])], dtype=np.int64)
        else:
            lengths = np.array([len(f) for f in feats], dtype=np.int64)
            batch = np.zeros((len(feats), int(lengths.max()), 6), dtype=np.float32)
            for i, f in enumerate(feats):
                batch[i, : len(f)] = f
        try:
            if embed:
                logits, emb = session.run_with_embedding(batch, lengths)
            else:
                logits, emb = session.run(batch, lengths), None
        except Exception as e:  # onnxruntime raises its own unexported exception types
            raise EngineError(f"the model failed on this input: {e}") from e
        if not np.isfinite(logits).all():
            raise EngineError("the model produced non-finite scores for this ink")
        scores = np.asarray(logits, dtype=np.float32)
        if emb is not None and (emb.shape[0] != len(feats) or not np.isfinite(emb).all()):
            emb = None  # a broken second output costs the memory, never the candidates
        bonus = self._bonus(memory, emb, package)
        if bonus is not None or (contexts is not None and any(c is not None for c in contexts)):
            scores = self._rescore(scores, contexts, package.charset, memory, bonus)
        return top_candidates(scores, package.charset, n), emb

    def _bonus(
        self, memory: UserMemory | None, emb: np.ndarray | None, package: ModelPackage
    ) -> np.ndarray | None:
        """The memory's bonus (B, C) for these embeddings, None when it has nothing to add."""
        if memory is None:
            return None
        if memory.model_sha256 != package.sha256:
            raise MemoryError(
                f"this memory was made with model {memory.model_sha256[:12]}..., the recognizer "
                f"runs {package.sha256[:12]}...; open it with UserMemory.open(path, "
                "recognizer.package.sha256, embed=...)"
            )
        if emb is None:
            if len(memory) and not self._warned_no_embedding:
                self._warned_no_embedding = True
                logger.warning("this model has no embedding output: the memory of inks is unused")
            return None
        return memory.bonus(emb, package.charset)

    def _rescore(
        self,
        logits: np.ndarray,
        contexts: Sequence[str | None] | None,
        charset: str,
        memory: UserMemory | None,
        bonus: np.ndarray | None,
    ) -> np.ndarray:
        """Rows of logits re-scored with their context, the user's words and the memory's
        bonus (engine.ranking.fuse); a row with neither context nor bonus stays as it is.
        Without a language model (one warning, then never again) the context is left out."""
        opts = self._options.context
        out = logits.copy()
        for i in range(len(logits)):
            context = contexts[i] if contexts is not None else None
            prior = None
            if context is not None:
                context = context[-opts.history :]
                prior = self._prior(context, charset)
            if prior is not None and memory is not None:
                memory.word_boost(context or "", prior, charset)
            row_bonus = bonus[i] if bonus is not None and bonus[i].any() else None
            if prior is None and row_bonus is None:
                continue
            weight = opts.weight_for(context or "")
            out[i] = fuse(logits[i], opts.temperature, prior, weight, row_bonus)
        return out

    def _prior(self, context: str, charset: str) -> np.ndarray | None:
        """log P_LM(c | context) over the charset (a copy), None without a language model."""
        if self._lm_failed:
            return None
        try:
            if self._lm is None:
                self._lm = LanguageModel.default()
            return np.array(self._lm.log_probs(context, charset), np.float32)
        except LanguageModelError as e:
            self._lm_failed = True
            logger.warning("candidates are ranked without context: %s", e)
            return None

    def _load(self) -> tuple[ModelPackage, ModelSession]:
        package, session = self._package, self._session
        if package is not None and session is not None:
            return package, session
        with self._lock:
            if self._package is None or self._session is None:
                self._package, self._session = self._open()
            return self._package, self._session

    def _open(self) -> tuple[ModelPackage, ModelSession]:
        return open_model(self._path, self._options.threads, self._options.verify)


def _features(inks: Sequence[Ink], package: ModelPackage) -> list[np.ndarray]:
    """Each ink preprocessed as the package's model was trained; InkError names a non-ink."""
    for i, ink in enumerate(inks):
        if not isinstance(ink, Ink):
            raise InkError(
                f"ink {i} is a {type(ink).__name__}, not an engine.Ink (build it with make_ink)"
            )
    return [preprocess(ink, package.preprocess) for ink in inks]


def top_candidates(logits: np.ndarray, charset: str, n: int) -> list[list[Candidate]]:
    """The ``n`` best classes of each row of logits (B, C), best first, with softmax probabilities.

    Softmax only where it is read: the top k by logit, and one exp over all classes for the
    normalizer (a full float64 softmax and its argpartition took 0.3 ms, a quarter of the
    model's own time).
    """
    classes = logits.shape[1]
    k = min(int(n), classes)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted.astype(np.float64)).sum(axis=1))
    if k < classes:
        top = np.argpartition(shifted, classes - k, axis=1)[:, classes - k :]
    else:
        top = np.broadcast_to(np.arange(classes), shifted.shape)
    out = []
    for row, idx, norm in zip(shifted, top, log_norm, strict=True):
        z = row[idx].astype(np.float64)
        order = np.argsort(-z, kind="stable")
        probs = np.exp(z[order] - norm)
        pairs = zip(idx[order].tolist(), probs.tolist(), strict=True)
        out.append([Candidate(charset[i], p) for i, p in pairs])
    return out
