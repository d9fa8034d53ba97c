"""Baseline wander: a sum of low-frequency sinusoids plus Gaussian noise added to the ECG.

Follows torch_ecg's ``BaselineWanderAugmenter`` (after the noise model of the MIT-BIH Noise
Stress Test Database, Moody et al. 1984): for each augmented (batch, lead) item one row of
candidate amplitudes (one amplitude per wander frequency) and one row of Gaussian (mean, std)
are drawn, and the start phase of every sinusoid is uniform.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ecg_signal.augment._config import check_fs_opt, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["BaselineWander", "BaselineWanderConfig"]

_DEFAULT_BW_FS: tuple[float, ...] = (0.33, 0.1, 0.05, 0.01)
_DEFAULT_AMPL: tuple[tuple[float, ...], ...] = (
    (0.01, 0.01, 0.02, 0.03),  # low
    (0.01, 0.02, 0.04, 0.05),  # low
    (0.1, 0.06, 0.04, 0.02),  # low
    (0.02, 0.04, 0.07, 0.1),  # low
    (0.05, 0.1, 0.16, 0.25),  # medium
    (0.1, 0.15, 0.25, 0.3),  # high
    (0.25, 0.25, 0.3, 0.35),  # extremely high
)
_DEFAULT_GAUSSIAN: tuple[tuple[float, float], ...] = ((0.0, 0.001), (0.0, 0.003), (0.0, 0.01))


def _table(value: Any, name: str, cols: int | None) -> tuple[tuple[float, ...], ...]:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or (cols is not None and arr.shape[1] != cols):
        want = f"(m, {cols})" if cols is not None else "(m, n)"
        raise ValueError(f"{name} must be a non-empty table of shape {want}, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return tuple(tuple(float(v) for v in row) for row in arr)


@dataclass(slots=True)
class BaselineWanderConfig:
    """Configuration of :class:`BaselineWander`.

    Attributes:
        fs: sampling rate in Hz (required before use; the manager fills it in).
        bw_fs: the wander frequencies in Hz, each in ``(0, fs/2)``.
        ampl: candidate amplitude rows, shape ``(m, len(bw_fs))``, in mV (or, when
            ``relative=True``, as fractions of each lead's peak-to-peak amplitude).
        gaussian: candidate ``(mean, std)`` rows of the additive Gaussian noise, in mV (or
            relative), shape ``(k, 2)``, std >= 0.
        relative: scale ``ampl`` and ``gaussian`` by each lead's amplitude (the largest
            peak-to-peak value over 0.2 s windows), as torch_ecg does.
        prob: fraction of the (batch, lead) items that get a wander.
        inplace: add the wander into the input tensor.
        seed: seed of the private generator (None: drawn from torch's global generator).
    """

    fs: float | None = None
    bw_fs: tuple[float, ...] = _DEFAULT_BW_FS
    ampl: tuple[tuple[float, ...], ...] = _DEFAULT_AMPL
    gaussian: tuple[tuple[float, ...], ...] = _DEFAULT_GAUSSIAN
    relative: bool = False
    prob: float = 0.5
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        bw = np.atleast_1d(np.asarray(self.bw_fs, dtype=np.float64))
        if bw.ndim != 1 or bw.size == 0 or not np.isfinite(bw).all() or (bw <= 0).any():
            raise ValueError(
                f"bw_fs must be a non-empty list of frequencies > 0 Hz, got {self.bw_fs!r}"
            )
        if self.fs is not None and (bw >= self.fs / 2).any():
            raise ValueError(
                f"bw_fs must be below fs/2 = {self.fs / 2:g} Hz, got {tuple(bw.tolist())} Hz"
            )
        self.bw_fs = tuple(float(v) for v in bw)
        self.ampl = _table(self.ampl, "ampl", len(self.bw_fs))
        self.gaussian = _table(self.gaussian, "gaussian", 2)
        if any(row[1] < 0 for row in self.gaussian):
            raise ValueError(f"gaussian std (second column) must be >= 0, got {self.gaussian!r}")
        if not isinstance(self.relative, bool):
            raise TypeError(f"relative must be a bool, got {self.relative!r}")
        self.seed = check_seed(self.seed)


def lead_amplitude(sig: torch.Tensor, fs: float, window: float = 0.2) -> torch.Tensor:
    """Largest peak-to-peak amplitude of each lead over half-overlapping windows.

    Args:
        sig: shape ``(batch, leads, samples)``.
        fs: sampling rate in Hz.
        window: window length in seconds.

    Returns:
        Shape ``(batch, leads, 1)``, in the units of ``sig``.
    """
    half = max(1, int(round(window * fs)) // 2)
    size = 2 * half
    if sig.shape[-1] < size:
        return sig.amax(-1, keepdim=True) - sig.amin(-1, keepdim=True)
    w = sig.unfold(-1, size, half)
    return (w.amax(-1) - w.amin(-1)).amax(-1, keepdim=True)


class BaselineWander(Augmenter):
    """Add baseline wander (sinusoids in Hz with amplitudes in mV) plus Gaussian noise.

    For each selected (batch, lead) item, with ``A`` a random row of ``ampl`` and ``(mu, sigma)``
    a random row of ``gaussian``, the added wander is
    ``sum_j A_j sin(2 pi f_j n / fs + phi_j) + N(mu, sigma^2)`` with ``phi_j ~ U[0, 2 pi)``.

    Args:
        fs: sampling rate in Hz.
        bw_fs, ampl, gaussian, relative, prob, inplace, seed: see :class:`BaselineWanderConfig`.
        generator: a shared :class:`torch.Generator` (instead of ``seed``).

    Shapes:
        ``sig``: ``(batch, leads, samples)``; label and extras pass through unchanged.

    Example:
        >>> bw = BaselineWander(fs=500, prob=1.0, seed=0)
        >>> sig, label = bw(torch.zeros(2, 12, 5000), None)
    """

    name = "baseline_wander"
    config_class = BaselineWanderConfig

    def __init__(
        self,
        fs: float | None,
        bw_fs: Sequence[float] = _DEFAULT_BW_FS,
        ampl: Sequence[Sequence[float]] = _DEFAULT_AMPL,
        gaussian: Sequence[Sequence[float]] = _DEFAULT_GAUSSIAN,
        relative: bool = False,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if fs is None:
            raise ValueError("fs (sampling rate in Hz) is required by baseline_wander, got None")
        cfg = BaselineWanderConfig(
            fs=fs,
            bw_fs=tuple(bw_fs),
            ampl=tuple(tuple(r) for r in ampl),
            gaussian=tuple(tuple(r) for r in gaussian),
            relative=relative,
            prob=prob,
            inplace=inplace,
            seed=seed,
        )
        super().__init__(prob, inplace, seed=cfg.seed, generator=generator)
        self.fs: float = float(fs)
        self.config = cfg
        self._bw_fs: torch.Tensor = torch.tensor(cfg.bw_fs, dtype=torch.float64)
        self._ampl: torch.Tensor = torch.tensor(cfg.ampl, dtype=torch.float64)
        self._gauss: torch.Tensor = torch.tensor(cfg.gaussian, dtype=torch.float64)
        self._basis_key: tuple[int, str, torch.dtype] | None = None
        self._basis: torch.Tensor | None = None

    def _sin_cos_basis(self, n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """``[sin(w n); cos(w n)]`` of shape ``(2 * n_freqs, n)``, cached per length/device/dtype."""
        key = (n, str(device), dtype)
        if self._basis is None or self._basis_key != key:
            t = torch.arange(n, dtype=torch.float64) / self.fs
            arg = 2.0 * math.pi * self._bw_fs[:, None] * t[None, :]
            self._basis = torch.cat([torch.sin(arg), torch.cos(arg)]).to(device=device, dtype=dtype)
            self._basis_key = key
        return self._basis

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch, leads, n = sig.shape
        items = self.get_indices(self.prob, batch * leads)
        k = int(items.numel())
        if k == 0:
            return (sig, label, *extra)
        nf = self._bw_fs.numel()
        ampl = self._ampl[torch.randint(0, self._ampl.shape[0], (k,), generator=self.generator)]
        gauss = self._gauss[torch.randint(0, self._gauss.shape[0], (k,), generator=self.generator)]
        phase = self._rand(k, nf) * (2.0 * math.pi)
        # A sin(wn + phi) = (A cos phi) sin(wn) + (A sin phi) cos(wn): one matmul for all items
        coef = torch.cat([ampl * torch.cos(phase), ampl * torch.sin(phase)], dim=1)
        dev, dt = sig.device, sig.dtype
        noise = torch.randn((k, n), generator=self.generator, dtype=dt).to(dev)
        coef_t = coef.to(device=dev, dtype=dt)
        mu = gauss[:, 0:1].to(device=dev, dtype=dt)
        sd = gauss[:, 1:2].to(device=dev, dtype=dt)
        wander = torch.addmm(mu, coef_t, self._sin_cos_basis(n, dev, dt))
        wander.addcmul_(noise, sd)
        idx = items.to(dev)
        if self.config.relative:
            scale = lead_amplitude(sig, self.fs).reshape(batch * leads, 1)[idx]
            wander.mul_(scale)
        flat = sig.reshape(batch * leads, n)
        if not (self.inplace and flat.data_ptr() == sig.data_ptr() and sig.is_contiguous()):
            flat = flat.clone()
        flat.index_add_(0, idx, wander)
        return (self._finish(sig, flat.view(batch, leads, n)), label, *extra)

    def extra_repr(self) -> str:
        return (
            f"fs={self.fs:g}, bw_fs={self.config.bw_fs}, relative={self.config.relative}, "
            + super().extra_repr()
        )
