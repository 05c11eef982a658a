"""Association candidates (联想): the characters likely to follow the text just typed, from
the engine's language model (issue 24)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class Follower(Protocol):
    """engine.language.LanguageModel, restated: the pad depends on this one call."""

    def following(self, context: str, n: int = 10) -> list[str]: ...


def bundled_model() -> Follower:
    """The process-wide bundled language model (the one the recognizer ranks with)."""
    from engine.language import LanguageModel  # imports numpy: never before the first paint

    return LanguageModel.default()


class Associations:
    """联想 from a language model that loads off the GUI thread.

    ``Associations(model)`` uses a model at hand (tests); ``Associations.lazy()`` the bundled
    one, read by ``load()``, which runs on the recognition worker
    (``RecognitionService.run``), never on the GUI thread. Until it has loaded, and for good
    when it cannot (one warning in the log), ``following()`` offers nothing: the pad never
    waits for it and works without it.
    """

    def __init__(
        self, model: Follower | None = None, factory: Callable[[], Follower] | None = None
    ) -> None:
        self._model = model
        self._factory = factory
        self._failed = False

    @classmethod
    def lazy(cls, factory: Callable[[], Follower] = bundled_model) -> Associations:
        """Associations from ``factory()``'s model, once ``load()`` has run."""
        return cls(factory=factory)

    @property
    def ready(self) -> bool:
        return self._model is not None

    def load(self) -> bool:
        """Build the model and read its data now (slow: on a worker). True when it is ready."""
        if self._model is not None:
            return True
        if self._factory is None or self._failed:
            return False
        try:
            model = self._factory()
            model.following("", 1)  # a lazy model reads its data here, not on the GUI thread
        except Exception as e:  # noqa: BLE001 - the pad works without associations
            self._failed = True
            logger.warning("no association candidates (联想): %s", e)
            return False
        self._model = model
        return True

    def following(self, context: str, n: int = 10) -> list[str]:
        """Up to n characters likely to follow ``context`` (the text just typed, last
        character last), best first; none while the model is not loaded."""
        model = self._model
        if model is None or not context:
            return []
        try:
            return list(model.following(context, n))[:n]
        except Exception:  # a broken model must not break committing: log it, offer nothing
            logger.exception("association candidates failed for %r", context[-8:])
            self._model, self._failed = None, True
            return []
