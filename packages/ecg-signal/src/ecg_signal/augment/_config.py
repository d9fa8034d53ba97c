"""Value checks shared by the augmenter configs (building them from mappings is
:func:`ecg_signal.config.config_from`)."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from ecg_signal._validation import check_fs, check_probability

__all__ = [
    "check_seed",
    "check_fs_opt",
    "check_real",
    "check_pair",
    "check_prob_pair",
    "check_beta_shapes",
    "as_dict",
]


def check_seed(seed: Any, name: str = "seed") -> int | None:
    """Return ``seed`` (an int >= 0 or None) after checking its type."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ValueError(f"{name} must be None or an int >= 0, got {seed!r}")
    return int(seed)


def check_fs_opt(fs: Any) -> float | None:
    """Return ``fs`` in Hz as a float (or None) after checking it is a sampling rate in
    ``[FS_MIN, FS_MAX]`` (:func:`ecg_signal._validation.check_fs`)."""
    if fs is None:
        return None
    return check_fs(fs)


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    units: str = "",
) -> float:
    """Return ``value`` as a finite float within the bounds (``low < value`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    u = f" {units}" if units else ""
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v <= low if low_open else v < low):
        rel = ">" if low_open else ">="
        raise ValueError(f"{name} must be {rel} {low:g}{u}, got {value!r}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high:g}{u}, got {value!r}")
    return v


def check_pair(
    value: Any, name: str, *, low: float | None = None, high: float | None = None, units: str = ""
) -> tuple[float, float]:
    """Return a ``(lo, hi)`` pair of finite floats with ``lo <= hi`` within the bounds."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(
            f"{name} must be a pair (low, high){' in ' + units if units else ''}, got {value!r}"
        )
    lo = check_real(value[0], f"{name}[0]", low=low, high=high, units=units)
    hi = check_real(value[1], f"{name}[1]", low=low, high=high, units=units)
    if lo > hi:
        raise ValueError(f"{name} must satisfy low <= high, got {value!r}")
    return lo, hi


def check_prob_pair(prob: Any, inner: str) -> tuple[float, float]:
    """Return ``(batch_prob, inner_prob)`` from a pair or from one probability used for both.

    ``inner`` names the second level in the error message ("lead", "segment").
    """
    if isinstance(prob, Sequence) and not isinstance(prob, (str, bytes)):
        if len(prob) != 2:
            raise ValueError(f"prob must be a probability or a pair (batch, {inner}), got {prob!r}")
        return check_probability(prob[0], "prob[0]"), check_probability(prob[1], "prob[1]")
    p = check_probability(prob, "prob")
    return p, p


def check_beta_shapes(alpha: Any, beta: Any) -> tuple[float, float | None]:
    """Return the Beta shape parameters ``(alpha, beta)``, both > 0 (``beta`` may be None)."""
    a = check_real(alpha, "alpha", low=0.0, low_open=True)
    b = None if beta is None else check_real(beta, "beta", low=0.0, low_open=True)
    return a, b


def as_dict(config: Mapping[str, Any] | object | None) -> dict[str, Any]:
    """A mapping or a config dataclass instance as a plain dict (for merging overrides)."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    raise TypeError(f"config must be a mapping or a config dataclass, got {type(config).__name__}")
