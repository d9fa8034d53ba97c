"""Input checks shared by every ecg_signal function.

Each helper converts and checks one kind of argument and raises ``ValueError`` / ``TypeError``
stating the constraint, the value received and its units, as scipy.signal does.

Domain of every function of ecg_signal (checked here, once):

- a sampling rate lies in ``[FS_MIN, FS_MAX]`` = [1 Hz, 100 kHz] (R-peak detection asks more:
  at least 50 Hz); outside it filter design is singular and windows in seconds become
  absurd numbers of samples;
- a band edge or notch frequency lies at or above ``MIN_EDGE_FRACTION`` (1e-6) of the Nyquist
  frequency ``fs / 2`` (below it, Butterworth sections are numerically singular) and below
  ``fs / 2``;
- a window given in seconds spans at least as many samples as its use needs
  (:func:`check_window`): a median filter of one sample would return the signal itself.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

__all__ = [
    "real_array",
    "FS_MIN",
    "FS_MAX",
    "MIN_EDGE_FRACTION",
    "RPEAK_MIN_FS",
    "check_fs",
    "check_window",
    "check_positive",
    "check_probability",
    "check_band",
    "check_edge",
    "as_signal",
    "as_tensor_signal",
    "check_finite",
]


FS_MIN = 1.0
"""Lowest sampling rate accepted, in Hz."""
FS_MAX = 100_000.0
"""Highest sampling rate accepted, in Hz."""
MIN_EDGE_FRACTION = 1e-6
"""Lowest band edge or notch frequency, as a fraction of the Nyquist frequency ``fs / 2``."""
RPEAK_MIN_FS = 50.0
"""Lowest sampling rate of R-peak detection, in Hz."""


def check_fs(fs: Any, *, name: str = "fs", minimum: float | None = None) -> float:
    """Return ``fs`` as a float after checking it is a sampling rate in ``[minimum, FS_MAX]`` Hz.

    Args:
        fs: the sampling rate in Hz.
        name: the argument's name, for error messages.
        minimum: the lowest rate accepted in Hz (default :data:`FS_MIN`; never below it).

    Raises:
        TypeError: ``fs`` is not a real number.
        ValueError: ``fs`` is not finite or lies outside the range (the message names both).
    """
    if isinstance(fs, bool) or not isinstance(fs, numbers.Real):
        raise TypeError(f"{name} must be a real number in Hz, got {fs!r} ({type(fs).__name__})")
    low = FS_MIN if minimum is None else max(FS_MIN, float(minimum))
    value = float(fs)
    if not math.isfinite(value) or not low <= value <= FS_MAX:
        raise ValueError(
            f"{name} must be a finite sampling rate in [{low:g}, {FS_MAX:g}] Hz, got {fs!r}"
        )
    return value


def check_window(
    seconds: Any, fs: float, name: str, *, min_samples: int = 2, units: str = "s"
) -> float:
    """Return ``seconds`` as a float after checking it spans at least ``min_samples`` samples
    at ``fs`` Hz (``seconds * fs >= min_samples``).

    Raises:
        ValueError: not finite and > 0, or too short for the signal's resolution (the message
            gives the length in samples and the shortest length accepted in seconds).
    """
    sec = check_positive(seconds, name, units=units)
    if sec * fs < min_samples:
        raise ValueError(
            f"{name}={sec:g} {units} is {sec * fs:.3g} samples at fs={fs:g} Hz: too short for "
            f"the signal's resolution, it must span at least {min_samples} samples "
            f"(>= {min_samples / fs:g} {units})"
        )
    return sec


def check_positive(value: Any, name: str, *, units: str = "", allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is finite and positive (or zero if allowed)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        relation = ">= 0" if allow_zero else "> 0"
        suffix = f" {units}" if units else ""
        raise ValueError(f"{name} must be finite and {relation}{suffix}, got {value!r}")
    return v


def check_probability(prob: Any, name: str = "prob") -> float:
    """Return ``prob`` as a float after checking it lies in [0, 1]."""
    if isinstance(prob, bool) or not isinstance(prob, numbers.Real):
        raise TypeError(f"{name} must be a probability in [0, 1], got {prob!r}")
    p = float(prob)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {prob!r}")
    return p


def check_band(
    lowcut: float | None, highcut: float | None, fs: float
) -> tuple[float | None, float | None]:
    """Check band edges in Hz against ``fs``: ``0 < lowcut < highcut < fs / 2``.

    Either edge may be ``None`` (high-pass only, low-pass only); not both.
    """
    if lowcut is None and highcut is None:
        raise ValueError("at least one band edge (lowcut or highcut, in Hz) must be given")
    nyq = fs / 2.0
    lo = None if lowcut is None else check_positive(lowcut, "lowcut", units="Hz")
    hi = None if highcut is None else check_positive(highcut, "highcut", units="Hz")
    for edge, label in ((lo, "lowcut"), (hi, "highcut")):
        if edge is not None and edge >= nyq:
            raise ValueError(f"band edge {label}={edge:g} Hz must be below fs/2 = {nyq:g} Hz")
        check_edge(edge, fs, f"band edge {label}")
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError(
            f"band edges must satisfy lowcut < highcut, got lowcut={lo:g} Hz, highcut={hi:g} Hz"
        )
    return lo, hi


def check_edge(freq: float | None, fs: float, name: str) -> None:
    """Raise ``ValueError`` if ``freq`` (Hz) is below ``MIN_EDGE_FRACTION * fs / 2``."""
    if freq is None:
        return
    low = MIN_EDGE_FRACTION * fs / 2.0
    if freq < low:
        raise ValueError(
            f"{name}={freq:g} Hz is too low for fs={fs:g} Hz: it must be at least "
            f"{MIN_EDGE_FRACTION:g} * fs/2 = {low:g} Hz (the filter design is singular below)"
        )


def check_finite(x: npt.NDArray[Any] | torch.Tensor, name: str = "sig") -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or inf, saying how many and where the first is."""
    if isinstance(x, torch.Tensor):
        bad_t = ~torch.isfinite(x)
        if bool(bad_t.any()):
            n = int(bad_t.sum())
            first = tuple(int(i) for i in torch.nonzero(bad_t)[0])
            raise ValueError(
                f"{name} must be finite, but holds {n} NaN/inf value(s), the first at index {first}"
            )
        return
    bad = ~np.isfinite(x)
    if bad.any():
        n = int(bad.sum())
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be finite, but holds {n} NaN/inf value(s), the first at index {first}"
        )


def real_array(sig: Any, name: str = "sig") -> npt.NDArray[Any]:
    """``sig`` (array-like or torch.Tensor, detached to the CPU) as a numpy array of real numbers
    (dtype kept); TypeError when it holds anything else (objects, strings, complex numbers)."""
    if hasattr(sig, "detach") and hasattr(sig, "cpu"):  # a torch.Tensor
        sig = sig.detach().cpu().numpy()
    arr = np.asarray(sig)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    return arr


def as_signal(
    sig: Any,
    *,
    name: str = "sig",
    ndim: tuple[int, ...] = (1, 2, 3),
    dtype: npt.DTypeLike | None = None,
    finite: bool = True,
) -> npt.NDArray[Any]:
    """Convert ``sig`` to a numpy array and check its number of dimensions and values.

    Args:
        sig: array-like of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        name: the argument's name, for error messages.
        ndim: the accepted numbers of dimensions.
        dtype: convert to this dtype; by default floating input keeps its dtype and any other
            input becomes float64.
        finite: reject NaN and inf.

    Returns:
        The signal as an ndarray (a view when no conversion was needed).
    """
    if isinstance(sig, torch.Tensor):
        raise TypeError(
            f"{name} must be a numpy array here, got a torch.Tensor; use the torch form"
        )
    try:
        arr = np.asarray(sig)
    except Exception as exc:  # pragma: no cover - numpy's own message is kept
        raise TypeError(f"{name} must be array-like, got {type(sig).__name__}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim not in ndim:
        shapes = {1: "(samples,)", 2: "(leads, samples)", 3: "(batch, leads, samples)"}
        accepted = " or ".join(shapes.get(d, f"{d}-D") for d in ndim)
        raise ValueError(f"{name} must have shape {accepted}, got shape {arr.shape} ({arr.ndim}-D)")
    if arr.size == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if finite:
        check_finite(arr, name)
    return arr


def as_tensor_signal(
    sig: Any,
    *,
    name: str = "sig",
    ndim: tuple[int, ...] = (1, 2, 3),
    finite: bool = True,
) -> torch.Tensor:
    """Check a tensor signal's type, number of dimensions and values (the torch twin of :func:`as_signal`)."""
    if not isinstance(sig, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(sig).__name__}")
    if not torch.is_floating_point(sig):
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {sig.dtype}")
    if sig.ndim not in ndim:
        shapes = {1: "(samples,)", 2: "(leads, samples)", 3: "(batch, leads, samples)"}
        accepted = " or ".join(shapes.get(d, f"{d}-D") for d in ndim)
        raise ValueError(f"{name} must have shape {accepted}, got shape {tuple(sig.shape)}")
    if sig.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(sig.shape)}")
    if finite:
        check_finite(sig, name)
    return sig
