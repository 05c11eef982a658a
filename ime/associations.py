"""Association candidates (联想): the characters likely to follow a committed one."""

from __future__ import annotations

import logging
from pathlib import Path

from engine.resources import resource_path

logger = logging.getLogger(__name__)


def default_path() -> Path:
    """The bundled ``lexicon/associations.txt``."""
    return resource_path("lexicon", "associations.txt")


class Associations:
    """Followers of each character, read from the lexicon (format in resources/lexicon/README).

    A missing or unreadable lexicon logs one warning and offers no associations; the pad
    works without it.
    """

    def __init__(self, table: dict[str, str] | None = None) -> None:
        self._table = table if table is not None else {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Associations:
        p = Path(path) if path is not None else default_path()
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            logger.warning("no association candidates: cannot read %s (%s)", p, e)
            return cls()
        return cls({line[0]: line[1:] for line in lines if line})

    def following(self, text: str, n: int = 10) -> list[str]:
        """Up to n characters likely to follow the last character of text, best first."""
        if not text:
            return []
        return list(self._table.get(text[-1], ""))[:n]

    def __len__(self) -> int:
        return len(self._table)
