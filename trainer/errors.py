"""Exceptions of the trainer: one base, TrainerError, so a CLI can catch them at its edge."""

from __future__ import annotations


class TrainerError(Exception):
    """Base of the trainer's errors (bad data, configs or artifacts; not programming errors)."""


class CheckpointError(TrainerError):
    """A checkpoint is missing, corrupt, or belongs to another model, charset or run."""
