"""Exception hierarchy of the engine: every error the engine raises on purpose is an EngineError."""

from __future__ import annotations


class EngineError(Exception):
    """Base of all errors raised by the engine on purpose."""


class InkError(EngineError, ValueError):
    """Ink that cannot be recognized: wrong structure, bad numbers, too many points.

    The message names the stroke and point at fault (0-based) so a user can fix the input.
    """


class ModelLoadError(EngineError):
    """A model package that is missing, truncated, tampered with or of another version.

    The message names the path and the reason.
    """
