"""Errors raised by the trainer."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "TrainerError",
    "NonFiniteLossError",
    "TrainingInterruptedError",
    "CheckpointMismatchError",
]


class TrainerError(RuntimeError):
    """Base class of trainer errors."""


class NonFiniteLossError(TrainerError, FloatingPointError):
    """The loss became NaN or infinite; no optimizer step or checkpoint was taken for it."""

    def __init__(self, message: str, *, step: int, epoch: int) -> None:
        super().__init__(message)
        self.step = step
        self.epoch = epoch


class TrainingInterruptedError(TrainerError):
    """SIGINT/SIGTERM (or :meth:`BaseTrainer.request_stop`) stopped training after a checkpoint."""

    def __init__(self, message: str, *, checkpoint: Path | None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint


class CheckpointMismatchError(TrainerError, ValueError):
    """A checkpoint from another model class, architecture or training configuration."""
