"""``torch.nn.Module`` forms of the preprocessors.

Each module stores its parameters (sampling rate in Hz, band edges, ...) and calls the matching
function of :mod:`ecg_signal.preprocess.torch_functional`, so it runs on the input's device and
keeps its dtype. Input of shape ``(samples,)``, ``(leads, samples)`` or
``(batch, leads, samples)``; output of the same shape (except :class:`Resample`, which changes
the number of samples). Parameters are validated at construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from ecg_signal._validation import check_band, check_fs
from ecg_signal.preprocess import functional as npf
from ecg_signal.preprocess import torch_functional as tf

__all__ = ["BandPass", "Notch", "Resample", "BaselineRemove", "Detrend", "Normalize"]


class BandPass(nn.Module):
    """Zero-phase Butterworth band-pass (or high-/low-pass) filter, as ``scipy.signal.sosfiltfilt``.

    Args:
        fs: sampling rate of the input in Hz.
        lowcut: lower edge in Hz (``None``: low-pass).
        highcut: upper edge in Hz (``None``: high-pass).
        order: Butterworth order.
    """

    def __init__(
        self,
        fs: float,
        lowcut: float | None = 0.5,
        highcut: float | None = 45.0,
        order: int = 4,
    ) -> None:
        super().__init__()
        self.fs = check_fs(fs)
        self.lowcut, self.highcut = check_band(lowcut, highcut, self.fs)
        self.order = order
        self.sos = npf.butter_sos(self.lowcut, self.highcut, self.fs, order)

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        """Filter ``sig`` of shape ``(..., samples)`` along time."""
        return tf.sosfiltfilt(sig, self.sos, what="bandpass")

    def extra_repr(self) -> str:
        return f"fs={self.fs:g}, lowcut={self.lowcut}, highcut={self.highcut}, order={self.order}"


class Notch(nn.Module):
    """Zero-phase powerline notch filter (``scipy.signal.iirnotch``, forward-backward).

    Args:
        fs: sampling rate in Hz.
        freq: frequency to remove in Hz (50 or 60).
        q: quality factor.
    """

    def __init__(self, fs: float, freq: float = 50.0, q: float = 30.0) -> None:
        super().__init__()
        self.fs = check_fs(fs)
        self.sos = npf.notch_sos(freq, self.fs, q)
        self.freq, self.q = float(freq), float(q)

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        """Filter ``sig`` of shape ``(..., samples)`` along time."""
        return tf.sosfiltfilt(sig, self.sos, what="notch")

    def extra_repr(self) -> str:
        return f"fs={self.fs:g}, freq={self.freq:g}, q={self.q:g}"


class Resample(nn.Module):
    """Polyphase resampling from ``fs`` to ``target_fs`` (``scipy.signal.resample_poly``).

    Args:
        fs: sampling rate of the input in Hz.
        target_fs: sampling rate of the output in Hz.
    """

    def __init__(self, fs: float, target_fs: float) -> None:
        super().__init__()
        self.fs = check_fs(fs)
        self.up, self.down = npf.resample_ratio(self.fs, target_fs)
        self.target_fs = self.fs * self.up / self.down

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        """Resample ``(..., samples)`` to ``(..., ceil(samples * up / down))``."""
        return tf.resample_poly(sig, self.up, self.down)

    def extra_repr(self) -> str:
        return f"fs={self.fs:g}, target_fs={self.target_fs:g}, up={self.up}, down={self.down}"


class BaselineRemove(nn.Module):
    """Baseline-wander removal by cascaded median filters (window lengths in seconds).

    Args:
        fs: sampling rate in Hz.
        windows: median window lengths in seconds (default 0.2 s then 0.6 s).
        mode: edge handling, ``"nearest"`` or ``"zeros"`` (as ``scipy.signal.medfilt``).
    """

    def __init__(
        self,
        fs: float,
        windows: Sequence[float] = (0.2, 0.6),
        mode: Literal["nearest", "zeros"] = "nearest",
    ) -> None:
        super().__init__()
        self.fs = check_fs(fs)
        self.windows = tuple(float(w) for w in windows)
        npf.median_windows(self.fs, self.windows)
        if mode not in npf.MEDIAN_MODES:
            raise ValueError(f"mode must be one of {npf.MEDIAN_MODES}, got {mode!r}")
        self.mode: Literal["nearest", "zeros"] = mode

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        """Return ``sig`` (shape ``(..., samples)``) minus its median-filtered baseline."""
        return tf.baseline_remove(sig, self.fs, self.windows, self.mode)

    def extra_repr(self) -> str:
        return f"fs={self.fs:g}, windows={self.windows}, mode={self.mode!r}"


class Detrend(nn.Module):
    """Polynomial detrend (least squares, per lead) of a given degree.

    Args:
        degree: polynomial degree (1 is ``scipy.signal.detrend(type="linear")``).
    """

    def __init__(self, degree: int = 1) -> None:
        super().__init__()
        self.degree = npf._check_degree(degree)

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        """Return ``sig`` (shape ``(..., samples)``) minus its fitted polynomial trend."""
        return tf.detrend_polynomial(sig, self.degree)

    def extra_repr(self) -> str:
        return f"degree={self.degree}"


class Normalize(nn.Module):
    """Z-score, min-max or naive normalization (see :func:`ecg_signal.preprocess.functional.normalize`).

    Args:
        method: ``"z-score"``, ``"min-max"`` or ``"naive"``.
        mean: target (z-score) or fixed (naive) mean, scalar or per lead.
        std: target (z-score) or fixed (naive) standard deviation, scalar or per lead.
        per_lead: statistics per lead or per record.
    """

    def __init__(
        self,
        method: str = "z-score",
        mean: float | Sequence[float] = 0.0,
        std: float | Sequence[float] = 1.0,
        per_lead: bool = True,
    ) -> None:
        super().__init__()
        self.method = npf._check_method(method)
        npf.normalize_targets(std, "std", 2, len(std) if isinstance(std, Sequence) else 1)
        npf.normalize_targets(mean, "mean", 2, len(mean) if isinstance(mean, Sequence) else 1)
        self.mean = mean
        self.std = std
        self.per_lead = bool(per_lead)

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        """Normalize ``sig`` of shape ``(..., samples)``."""
        return tf.normalize(sig, self.method, self.mean, self.std, self.per_lead)

    def extra_repr(self) -> str:
        return f"method={self.method!r}, per_lead={self.per_lead}"
