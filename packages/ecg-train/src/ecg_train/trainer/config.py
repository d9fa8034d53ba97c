"""Typed training configuration of :class:`~ecg_train.trainer.base.BaseTrainer`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecg_train._config import config_from

__all__ = ["TrainConfig", "OPTIMIZERS", "SCHEDULERS", "MONITOR_MODES"]

OPTIMIZERS = ("adamw", "sgd")
SCHEDULERS = ("none", "one_cycle", "cosine", "plateau")
MONITOR_MODES = ("max", "min")
AMP_DTYPES = ("bfloat16", "float16")
LOGGERS = ("csv", "text", "tensorboard")


def _positive_int(name: str, value: object, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _positive_float(
    name: str, value: object, *, allow_none: bool = False, zero: bool = False
) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value < 0 if zero else value <= 0):  # type: ignore[operator]
        kind = "non-negative" if zero else "positive"
        raise ValueError(f"{name} must be a {kind} finite number, got {value!r}")


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


@dataclass(slots=True)
class TrainConfig:
    """Training configuration.

    Attributes:
        n_epochs: number of epochs.
        batch_size: GLOBAL batch size (split evenly over DDP ranks).
        learning_rate: base learning rate (peak for one-cycle).
        optimizer: ``"adamw"`` or ``"sgd"``.
        weight_decay: weight decay.
        momentum: SGD momentum.
        scheduler: ``"none"``, ``"one_cycle"`` and ``"cosine"`` (stepped per optimizer step) or
            ``"plateau"`` (stepped per epoch on the monitor metric).
        plateau_patience: epochs without improvement before the plateau scheduler decays the LR.
        plateau_factor: LR decay factor of the plateau scheduler.
        grad_clip: max gradient L2 norm, or None.
        grad_accumulation: micro-batches accumulated per optimizer step.
        amp: mixed precision (bf16 on CPU; ``amp_dtype`` on CUDA).
        amp_dtype: ``"bfloat16"`` or ``"float16"`` (float16 uses a GradScaler, CUDA only).
        monitor: name of the ``evaluate`` metric used for best model and early stopping, or None.
        monitor_mode: ``"max"`` or ``"min"``.
        early_stopping_patience: epochs without improvement before stopping, or None.
        early_stopping_min_delta: minimum improvement counted as such.
        keep_checkpoint_max: checkpoints kept on disk (the best model is kept separately).
        checkpoint_every_n_steps: also checkpoint every n optimizer steps (None: per epoch only).
        checkpoint_dir: folder of checkpoints.
        log_dir: folder of logs.
        loggers: any of ``"csv"``, ``"text"``, ``"tensorboard"``.
        log_every_n_steps: log the training loss every n optimizer steps.
        seed: seed of the python/numpy/torch RNGs and of the data order.
        num_workers: DataLoader workers (exact resume is guaranteed with 0).
        num_threads: torch intra-op threads while :meth:`BaseTrainer.train` runs (restored
            when it returns); None keeps the process's setting. On a CPU shared with other
            jobs, more threads than free cores wait for each other.
        progress_bar: show tqdm bars (only on a TTY and on rank 0).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` ... or None (CUDA if available).
        compile: run the training forward passes (:meth:`BaseTrainer.forward`) through
            ``torch.compile`` (the model's own module, its state dict and checkpoints are
            unchanged; the first steps are slow while it compiles).
        extra: task-specific fields (checked against ``extra_required_train_config_fields``).
    """

    n_epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adamw"
    weight_decay: float = 1e-2
    momentum: float = 0.9
    scheduler: str = "none"
    plateau_patience: int = 2
    plateau_factor: float = 0.1
    grad_clip: float | None = None
    grad_accumulation: int = 1
    amp: bool = False
    amp_dtype: str = "bfloat16"
    monitor: str | None = None
    monitor_mode: str = "max"
    early_stopping_patience: int | None = None
    early_stopping_min_delta: float = 0.0
    keep_checkpoint_max: int = 5
    checkpoint_every_n_steps: int | None = None
    checkpoint_dir: str = "checkpoints"
    log_dir: str = "logs"
    loggers: tuple[str, ...] = ("csv", "text")
    log_every_n_steps: int = 10
    seed: int = 42
    num_workers: int = 0
    num_threads: int | None = None
    progress_bar: bool = True
    device: str | None = None
    compile: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _positive_int("n_epochs", self.n_epochs)
        _positive_int("batch_size", self.batch_size)
        _positive_float("learning_rate", self.learning_rate)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _positive_float("weight_decay", self.weight_decay, zero=True)
        _positive_float("momentum", self.momentum, zero=True)
        _choice("scheduler", self.scheduler, SCHEDULERS)
        _positive_int("plateau_patience", self.plateau_patience)
        if not isinstance(self.plateau_factor, int | float) or not 0 < self.plateau_factor < 1:
            raise ValueError(f"plateau_factor must lie in (0, 1), got {self.plateau_factor!r}")
        _positive_float("grad_clip", self.grad_clip, allow_none=True)
        _positive_int("grad_accumulation", self.grad_accumulation)
        _choice("amp_dtype", self.amp_dtype, AMP_DTYPES)
        _choice("monitor_mode", self.monitor_mode, MONITOR_MODES)
        _positive_int("early_stopping_patience", self.early_stopping_patience, allow_none=True)
        _positive_float("early_stopping_min_delta", self.early_stopping_min_delta, zero=True)
        _positive_int("keep_checkpoint_max", self.keep_checkpoint_max)
        _positive_int("checkpoint_every_n_steps", self.checkpoint_every_n_steps, allow_none=True)
        _positive_int("log_every_n_steps", self.log_every_n_steps)
        if (
            isinstance(self.num_workers, bool)
            or not isinstance(self.num_workers, int)
            or self.num_workers < 0
        ):
            raise ValueError(
                f"num_workers must be a non-negative integer, got {self.num_workers!r}"
            )
        _positive_int("num_threads", self.num_threads, allow_none=True)
        if not isinstance(self.compile, bool):
            raise TypeError(f"compile must be a bool, got {self.compile!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
        self.loggers = tuple(self.loggers)
        for name in self.loggers:
            _choice("loggers item", name, LOGGERS)
        if self.early_stopping_patience is not None and self.monitor is None:
            raise ValueError("early_stopping_patience needs a monitor metric (monitor=None given)")
        if self.scheduler == "plateau" and self.monitor is None:
            raise ValueError("scheduler='plateau' needs a monitor metric (monitor=None given)")
        if not isinstance(self.extra, Mapping):
            raise TypeError(f"extra must be a mapping, got {type(self.extra).__name__}")
        self.extra = dict(self.extra)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | TrainConfig | None = None) -> TrainConfig:
        """Build from a plain mapping (unknown keys raise ValueError naming the allowed keys)."""
        return config_from(cls, config)

    def get(self, name: str) -> Any:
        """A field or, failing that, an ``extra`` entry (KeyError naming it if absent)."""
        if name in type(self).__dataclass_fields__:
            return getattr(self, name)
        if name in self.extra:
            return self.extra[name]
        raise KeyError(name)
