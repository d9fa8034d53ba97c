"""Config helpers of ecg-train: ``config_from`` (the one of :mod:`ecg_signal.config`, re-exported
here for the trainer and loggers) and ``config_to_dict``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ecg_signal.config import config_from

__all__ = ["config_from", "config_to_dict"]


def config_to_dict(config: object) -> dict[str, Any]:
    """A JSON-friendly dict of a dataclass config (tuples become lists)."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"expected a dataclass instance, got {type(config).__name__}")
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out
