"""Coloured noise of ambulatory recordings added to ECGs at a drawn signal-to-noise ratio.

Four kinds of noise of ambulatory recordings are shaped from white Gaussian noise in the
frequency domain (every kind has unit variance before mixing):

* ``motion``: electrode motion, a ``1 / f`` power spectrum between 0.5 and 20 Hz (it overlaps
  the QRS band, which is why it is the hardest kind for QRS detectors);
* ``muscle``: electromyographic noise, a flat spectrum from 5 Hz to the Nyquist rate;
* ``baseline``: baseline wander, a flat spectrum from 0.05 to 1 Hz;
* ``bursts``: non-stationary electrode noise, a flat spectrum from 1 to 25 Hz whose amplitude is
  modulated by a random slow envelope (the square of a Gaussian process below 0.5 Hz), so it
  comes in QRS-like bursts.

Each augmented window gets a random mix of the chosen kinds (independent weights, normalised so that
the mix keeps unit variance) scaled to an SNR drawn uniformly in ``[snr_low_db, snr_high_db]``.
The signal power follows the convention of WFDB's ``nst`` (which made the MIT-BIH Noise Stress
Test records): ``S = pp**2 / 8`` for a QRS peak-to-peak amplitude ``pp`` (the power of a sine of
that peak-to-peak amplitude); here ``pp`` is the spread between the 0.5 % and 99.5 % quantiles of
the clean window, and the noise power ``N`` is its variance, so ``SNR = 10 log10(S / N)`` dB.

The functions (:func:`coloured_noise`, :func:`signal_power`, :func:`add_noise_at_snr`) are the
core; :class:`ColouredNoise` is the augmenter around :func:`add_noise_at_snr` (registered as
``coloured_noise`` in the :class:`~ecg_signal.augment.manager.AugmenterManager`).

Shapes: windows are ``(batch, leads, samples)`` at ``fs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ecg_signal._validation import check_fs, check_probability
from ecg_signal.augment._config import check_fs_opt, check_pair, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = [
    "NOISE_KINDS",
    "ColouredNoise",
    "ColouredNoiseConfig",
    "add_noise_at_snr",
    "coloured_noise",
    "signal_power",
]

NOISE_KINDS = ("motion", "muscle", "baseline", "bursts")


def _shape(kind: str, freqs: torch.Tensor, fs: float) -> torch.Tensor:
    """Amplitude spectrum of ``kind`` at ``freqs`` (Hz)."""
    if kind == "motion":
        band = (freqs >= 0.5) & (freqs <= 20.0)
        return torch.where(band, 1.0 / freqs.clamp(min=0.5).sqrt(), torch.zeros_like(freqs))
    if kind == "muscle":
        return ((freqs >= 5.0) & (freqs <= fs / 2)).to(freqs.dtype)
    if kind == "baseline":
        return ((freqs >= 0.05) & (freqs <= 1.0)).to(freqs.dtype)
    if kind == "bursts":
        return ((freqs >= 1.0) & (freqs <= 25.0)).to(freqs.dtype)
    if kind == "envelope":
        return (freqs <= 0.5).to(freqs.dtype)
    raise ValueError(f"noise kind must be one of {NOISE_KINDS}, got {kind!r}")


def _shaped(
    shape: tuple[int, ...], fs: float, kind: str, generator: torch.Generator | None
) -> torch.Tensor:
    """White Gaussian noise filtered by the amplitude spectrum of ``kind``, unit variance."""
    n = int(shape[-1])
    white = torch.randn(shape, generator=generator, dtype=torch.float64)
    freqs = torch.fft.rfftfreq(n, d=1.0 / fs, dtype=torch.float64)
    out = torch.fft.irfft(torch.fft.rfft(white, dim=-1) * _shape(kind, freqs, fs), n=n, dim=-1)
    out = out - out.mean(dim=-1, keepdim=True)
    unit: torch.Tensor = out / out.std(dim=-1, keepdim=True, correction=0).clamp(min=1e-12)
    return unit


def coloured_noise(
    shape: tuple[int, ...], fs: float, kind: str, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Noise of ``kind`` with shape ``(..., samples)``, zero mean and unit variance along time.

    Raises:
        ValueError: an unknown kind, ``fs`` outside the sampling-rate domain, or fewer than 8
            samples.
    """
    fs = check_fs(fs)
    n = int(shape[-1])
    if n < 8:
        raise ValueError(f"noise needs at least 8 samples, got {n}")
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind must be one of {NOISE_KINDS}, got {kind!r}")
    out = _shaped(shape, fs, kind, generator)
    if kind == "bursts":
        out = out * _shaped(shape, fs, "envelope", generator) ** 2
    out = out - out.mean(dim=-1, keepdim=True)
    unit: torch.Tensor = out / out.std(dim=-1, keepdim=True, correction=0).clamp(min=1e-12)
    return unit


def signal_power(x: torch.Tensor) -> torch.Tensor:
    """``pp**2 / 8`` per ``(batch, lead)`` of ``x`` ``(batch, leads, samples)``, with ``pp`` the
    spread of the 0.5 % to 99.5 % quantiles over time; shape ``(batch, leads, 1)``."""
    q = torch.quantile(x.double(), torch.tensor([0.005, 0.995], dtype=torch.float64), dim=-1)
    pp = (q[1] - q[0]).unsqueeze(-1)
    return pp**2 / 8.0


def add_noise_at_snr(
    x: torch.Tensor,
    fs: float,
    prob: float,
    snr_low_db: float,
    snr_high_db: float,
    generator: torch.Generator | None = None,
    kinds: tuple[str, ...] = NOISE_KINDS[:3],
) -> torch.Tensor:
    """``x`` ``(batch, leads, samples)`` with a random mix of ``kinds`` added to each
    ECG with probability ``prob``, at an SNR drawn uniformly in ``[snr_low_db, snr_high_db]``
    (the same SNR for every lead of an ECG); a new tensor of ``x``'s dtype.

    Raises:
        ValueError: ``x`` not 3-D, ``prob`` outside [0, 1], ``snr_low_db > snr_high_db`` or
            no or unknown ``kinds``.
    """
    if not kinds or not set(kinds) <= set(NOISE_KINDS):
        raise ValueError(f"kinds must be a non-empty subset of {NOISE_KINDS}, got {kinds}")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, leads, samples), got {tuple(x.shape)}")
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"prob must be in [0, 1], got {prob}")
    if not snr_low_db <= snr_high_db:
        raise ValueError(f"snr_low_db ({snr_low_db}) must not exceed snr_high_db ({snr_high_db})")
    b = x.shape[0]
    chosen = torch.rand(b, generator=generator) < prob
    snr = snr_low_db + (snr_high_db - snr_low_db) * torch.rand(b, generator=generator)
    weights = torch.rand((b, len(kinds)), generator=generator, dtype=torch.float64)
    weights = weights / weights.sum(dim=1, keepdim=True)
    if not bool(chosen.any()):
        return x.clone()
    mix = torch.zeros(x.shape, dtype=torch.float64)
    for k, kind in enumerate(kinds):
        mix += weights[:, k, None, None].sqrt() * coloured_noise(
            tuple(x.shape), fs, kind, generator
        )
    mix = mix / mix.std(dim=-1, keepdim=True, correction=0).clamp(min=1e-12)
    scale = (signal_power(x) / 10.0 ** (snr.double()[:, None, None] / 10.0)).sqrt()
    noise = mix * scale * chosen.double()[:, None, None]
    return (x.double() + noise).to(x.dtype)


def _check_kinds(kinds: Any) -> tuple[str, ...]:
    if isinstance(kinds, str) or not isinstance(kinds, Sequence):
        raise ValueError(f"kinds must be a non-empty subset of {NOISE_KINDS}, got {kinds!r}")
    out = tuple(kinds)
    if not out or not set(out) <= set(NOISE_KINDS):
        raise ValueError(f"kinds must be a non-empty subset of {NOISE_KINDS}, got {out}")
    return out


@dataclass(slots=True)
class ColouredNoiseConfig:
    """Configuration of :class:`ColouredNoise`.

    Attributes:
        fs: sampling rate in Hz (required: the noise spectra are defined in Hz).
        prob: probability that an ECG of the batch gets noise.
        snr_db: ``(low, high)``: the SNR (dB, WFDB ``nst`` convention) is drawn uniformly in it.
        kinds: the kinds mixed, a non-empty subset of :data:`NOISE_KINDS`.
        inplace: write the noisy signal into the input tensor.
        seed: seed of the private generator.
    """

    fs: float | None = None
    prob: float = 0.5
    snr_db: tuple[float, float] = (-6.0, 24.0)
    kinds: tuple[str, ...] = NOISE_KINDS[:3]
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        self.prob = check_probability(self.prob, "prob")
        self.snr_db = check_pair(self.snr_db, "snr_db", low=-30.0, high=60.0, units="dB")
        self.kinds = _check_kinds(self.kinds)
        self.seed = check_seed(self.seed)


class ColouredNoise(Augmenter):
    """Add a random mix of coloured noise kinds to each selected ECG at a drawn SNR.

    The same noise mix and SNR for every lead of an ECG (:func:`add_noise_at_snr`).

    Shapes:
        ``sig``: ``(batch, leads, samples)``; label and extras pass through unchanged.
    """

    name = "coloured_noise"
    config_class = ColouredNoiseConfig

    def __init__(
        self,
        fs: float | None = None,
        prob: float = 0.5,
        snr_db: Sequence[float] = (-6.0, 24.0),
        kinds: Sequence[str] = NOISE_KINDS[:3],
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if fs is None:
            raise ValueError("fs (sampling rate in Hz) is required by coloured_noise, got None")
        cfg = ColouredNoiseConfig(fs, prob, snr_db, kinds, inplace, seed)  # type: ignore[arg-type]
        super().__init__(cfg.prob, cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.fs = float(fs)
        self.snr_db = cfg.snr_db
        self.kinds = cfg.kinds

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        out = add_noise_at_snr(
            sig, self.fs, self.prob, self.snr_db[0], self.snr_db[1], self.generator, self.kinds
        )
        if self.inplace:
            out = sig.copy_(out)
        return (out, label, *extra)

    def extra_repr(self) -> str:
        return f"fs={self.fs:g}, snr_db={self.snr_db}, kinds={self.kinds}, " + super().extra_repr()
