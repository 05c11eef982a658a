"""A character language model: the chance of each next character given the text before it.

numpy only. The bundled model (``resources/lm/``, built by its ``regenerate.py``) loads on
first use. Context is the text just before the character being written, any length; the model
reads what it can of it (its last characters; anything that is not a hanzi is a boundary).

API (issue 24): ``LanguageModel.default()``, ``log_probs(context, charset)`` over a charset,
``following(context, n)`` for 联想.
"""

from __future__ import annotations

# SKELETON: the implementation lands in the next commit (see docs/language.md when it exists).

import numpy as np

from engine.errors import EngineError


class LanguageModelError(EngineError):
    """A language model file that is missing, corrupt or of another version."""


class LanguageModel:
    """P(next character | context); thread-safe after load; loads lazily."""

    @classmethod
    def load(cls, path: object = None) -> LanguageModel:
        """Load now from ``path`` (None: the bundled ``resources/lm/``). Raises LanguageModelError."""
        raise NotImplementedError

    @classmethod
    def default(cls) -> LanguageModel:
        """The process-wide bundled model, loaded on first use of its data."""
        raise NotImplementedError

    def log_probs(self, context: str, charset: str) -> np.ndarray:
        """Natural-log P(c | context) for each character c of ``charset``: float32 (len(charset),).

        ``context`` "" means the start of a text. Characters the model has never seen get a
        small floor probability, never -inf. Cached per charset: after the first call for a
        charset, one call takes well under 0.1 ms.
        """
        raise NotImplementedError

    def following(self, context: str, n: int = 10) -> list[str]:
        """The ``n`` hanzi most likely to come next after ``context``, best first (联想)."""
        raise NotImplementedError
