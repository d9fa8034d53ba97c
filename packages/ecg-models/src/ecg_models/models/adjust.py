"""Rescale the kernel sizes of a model config for another sampling frequency."""

from __future__ import annotations

import dataclasses
from collections.abc import MutableMapping
from copy import deepcopy
from typing import Any, TypeVar

__all__ = ["adjust_cnn_filter_lengths", "scale_kernel_size", "KERNEL_FIELD_PATTERNS"]

T = TypeVar("T")

#: a field whose name contains one of these holds kernel sizes (an int or a sequence of ints).
KERNEL_FIELD_PATTERNS: tuple[str, ...] = ("filter_length", "kernel_size", "filt_size")


def scale_kernel_size(size: int, ratio: float) -> int:
    """``round(size * ratio)``, at least 1, and odd when ``size`` is odd (rounded up to odd).

    Example:
        >>> scale_kernel_size(15, 0.8), scale_kernel_size(16, 0.8), scale_kernel_size(3, 0.5)
        (13, 13, 3)
    """
    new = max(1, int(round(size * ratio)))
    if size % 2 == 1 and new % 2 == 0:
        new += 1
    return new


def _is_kernel_field(name: str) -> bool:
    return any(p in name for p in KERNEL_FIELD_PATTERNS)


def _scale_value(value: Any, ratio: float) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return scale_kernel_size(value, ratio)
    if isinstance(value, list | tuple):
        scaled = [_scale_value(v, ratio) for v in value]
        return type(value)(scaled) if isinstance(value, tuple) else scaled
    return value


def _walk(obj: Any, ratio: float) -> Any:
    """Scale in place every kernel field of a nested dataclass / dict / list; returns ``obj``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if _is_kernel_field(f.name):
                object.__setattr__(obj, f.name, _scale_value(value, ratio))
            else:
                _walk(value, ratio)
    elif isinstance(obj, MutableMapping):
        for k in list(obj):
            if isinstance(k, str) and _is_kernel_field(k):
                obj[k] = _scale_value(obj[k], ratio)
            else:
                _walk(obj[k], ratio)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _walk(v, ratio)
    return obj


def adjust_cnn_filter_lengths(config: T, fs: float) -> T:
    """A deep copy of ``config`` with every kernel size scaled by ``fs / config.fs``.

    Every field whose name contains ``filter_length``, ``kernel_size`` or ``filt_size`` (in
    nested dataclasses, dicts and lists, including backbone configs stored in
    ``config.cnn.variants``) is scaled with :func:`scale_kernel_size` (odd sizes stay odd), and
    the copy's ``fs`` is set to ``fs``. Backbones taken from the registry defaults (not stored in
    the config) are scaled when the model is built, by ``config.fs`` over their design rate.

    Args:
        config: a task-model config with an ``fs`` field (Hz).
        fs: the new sampling frequency, Hz (> 0).

    Raises:
        ValueError: if ``fs`` is not a positive finite number.
        TypeError: if ``config`` has no ``fs`` field.
    """
    if isinstance(fs, bool) or not isinstance(fs, int | float) or not (0 < fs < float("inf")):
        raise ValueError(f"fs must be a positive finite number of Hz, got {fs!r}")
    old = getattr(config, "fs", None)
    if isinstance(old, bool) or not isinstance(old, int | float) or old <= 0:
        raise TypeError(f"config must carry its design sampling rate `fs` (Hz), got fs={old!r}")
    new_config = deepcopy(config)
    _walk(new_config, fs / old)
    object.__setattr__(new_config, "fs", fs)
    return new_config
