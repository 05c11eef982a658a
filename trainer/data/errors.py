"""The exceptions of trainer.data, under the trainer's one base TrainerError."""

from __future__ import annotations

from trainer.errors import TrainerError


class DataError(TrainerError):
    """Data that cannot be used: a missing template, a corrupt POT file, an unknown label.

    The message names what is at fault (the character, the file and byte offset, the line).
    """


class MissingTemplateError(DataError, KeyError):
    """A character that has no stroke template."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
