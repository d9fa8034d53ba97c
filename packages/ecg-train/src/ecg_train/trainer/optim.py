"""Optimizers and learning-rate schedulers built from a :class:`TrainConfig`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, OneCycleLR, ReduceLROnPlateau

from ecg_train.trainer.config import TrainConfig

__all__ = ["build_optimizer", "build_scheduler", "Scheduler"]

Scheduler = LRScheduler | ReduceLROnPlateau


def build_optimizer(
    params: Iterable[torch.nn.Parameter], config: TrainConfig
) -> torch.optim.Optimizer:
    """AdamW (Loshchilov & Hutter, ICLR 2019) or SGD with momentum.

    Torch's fused implementation (one kernel over all parameters) is used where it exists for
    the parameters' device and dtype: on the CPU, torch's default AdamW update loops over the
    parameters one by one and is several times slower for a model of millions of parameters.
    Otherwise the default implementation is used. Both follow the same update rule.
    """
    trainable = [p for p in params if p.requires_grad]
    if not trainable:
        raise ValueError("the model has no trainable parameter (requires_grad=True)")
    cls: Any
    kwargs: dict[str, Any]
    if config.optimizer == "adamw":
        cls, kwargs = torch.optim.AdamW, {"weight_decay": config.weight_decay}
    else:
        cls = torch.optim.SGD
        kwargs = {"momentum": config.momentum, "weight_decay": config.weight_decay}
    fusable = len({(p.device.type, p.dtype) for p in trainable}) == 1 and all(
        p.device.type in ("cpu", "cuda") and p.dtype.is_floating_point for p in trainable
    )
    if fusable:
        try:
            opt: torch.optim.Optimizer = cls(
                trainable, lr=config.learning_rate, fused=True, **kwargs
            )
            return opt
        except (RuntimeError, TypeError, ValueError):  # no fused kernel in this torch build
            pass
    opt = cls(trainable, lr=config.learning_rate, **kwargs)
    return opt


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int
) -> Scheduler | None:
    """The scheduler of ``config.scheduler``.

    ``one_cycle`` (Smith & Topin 2019, peak ``learning_rate``) and ``cosine`` are stepped after
    every optimizer step (``total_steps`` in all); ``plateau`` after every evaluation.
    """
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1 optimizer step, got {total_steps}")
    if config.scheduler == "one_cycle":
        return OneCycleLR(optimizer, max_lr=config.learning_rate, total_steps=total_steps)
    if config.scheduler == "cosine":
        return CosineAnnealingLR(optimizer, T_max=total_steps)
    if config.scheduler == "plateau":
        return ReduceLROnPlateau(
            optimizer,
            mode="max" if config.monitor_mode == "max" else "min",
            factor=config.plateau_factor,
            patience=config.plateau_patience,
        )
    return None
