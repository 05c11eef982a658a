"""Association candidates (联想): the characters likely to follow a committed one."""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def default_path() -> Path:
    """The bundled ``lexicon/associations.txt``."""
    from engine.resources import resource_path  # imports numpy: not before the first paint

    return resource_path("lexicon", "associations.txt")


class Associations:
    """Followers of each character, read from the lexicon (format in resources/lexicon/README).

    A missing or unreadable lexicon logs one warning and offers no associations; the pad
    works without it. ``Associations.lazy()`` reads the file at the first question, so
    start-up does not wait for it.
    """

    def __init__(self, table: dict[str, str] | None = None) -> None:
        self._table = table
        self._path: Path | None = None

    @classmethod
    def load(cls, path: str | Path | None = None) -> Associations:
        a = cls.lazy(path)
        a._read()
        return a

    @classmethod
    def lazy(cls, path: str | Path | None = None) -> Associations:
        a = cls()
        a._path = Path(path) if path is not None else None
        return a

    def _read(self) -> dict[str, str]:
        if self._table is None:
            p = self._path if self._path is not None else default_path()
            try:
                lines = p.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as e:
                logger.warning("no association candidates: cannot read %s (%s)", p, e)
                lines = []
            self._table = {line[0]: line[1:] for line in lines if line}
        return self._table

    def following(self, text: str, n: int = 10) -> list[str]:
        """Up to n characters likely to follow the last character of text, best first."""
        if not text:
            return []
        return list(self._read().get(text[-1], ""))[:n]

    def __len__(self) -> int:
        return len(self._read())
