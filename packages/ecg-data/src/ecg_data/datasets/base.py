"""Shared pieces of the torch Datasets: preprocessing and augmentation configs,
deterministic record-disjoint splits, fixed-length windows and the sample protocol.

Every Dataset's ``__getitem__`` returns a tuple of ``torch.Tensor``: ``(signal, labels)`` or
``(signal, labels, masks)``, signal float32 of shape (leads, input_len) (batched by a DataLoader to
(batch, leads, samples)); see :class:`ECGDatasetProtocol`.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt
import torch

from ecg_signal.preprocess.manager import BandpassConfig

__all__ = [
    "PreprocCfg",
    "AugmentCfg",
    "ECGDatasetProtocol",
    "split_records",
    "fix_length",
    "apply_preproc",
    "apply_augment",
    "check_split_fraction",
]

T = TypeVar("T")


def check_split_fraction(value: Any, name: str) -> float:
    """``value`` as a float in (0, 1)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < 1.0
    ):
        raise ValueError(f"{name} must be a fraction in (0, 1), got {value!r}")
    return float(value)


def _bandpass_default(name: str) -> Any:
    """The default of ``name`` in ecg-signal's :class:`BandpassConfig` (one set of defaults)."""
    return next(f.default for f in fields(BandpassConfig) if f.name == name)


@dataclass(slots=True)
class PreprocCfg:
    """Preprocessing applied to every sample (training and validation).

    Attributes:
        bandpass: ``(lowcut, highcut)`` in Hz of a zero-phase order-``order`` Butterworth filter,
            or ``None``. Either edge may be ``None`` (high-pass / low-pass only). Default: the
            edges of ecg-signal's band-pass step (:class:`ecg_signal.BandpassConfig`).
        order: filter order (default: that of :class:`ecg_signal.BandpassConfig`).
        normalize: ``"z-score"`` (per lead), ``"min-max"`` or ``None``.
        manager: a config of :class:`ecg_signal.preprocess.PreprocManager` (mapping with
            ``baseline_remove``, ``notch``, ``bandpass``, ``normalize``, ...); when set it replaces
            ``bandpass``/``order``/``normalize`` (its ``resample`` step is not allowed: the
            Datasets resample with ``fs``).
    """

    bandpass: tuple[float | None, float | None] | None = (
        _bandpass_default("lowcut"),
        _bandpass_default("highcut"),
    )
    order: int = _bandpass_default("order")
    normalize: str | None = "z-score"
    manager: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.manager is not None:
            if not isinstance(self.manager, Mapping):
                raise TypeError(
                    f"manager must be a PreprocManager config mapping or None, got "
                    f"{type(self.manager).__name__}"
                )
            if self.manager.get("resample") is not None:
                raise ValueError(
                    "manager must not resample (the Dataset's fs does), got resample="
                    f"{self.manager['resample']!r}"
                )
            from ecg_signal.preprocess.manager import PreprocManager

            PreprocManager.from_config(self.manager)  # validates, naming an unknown key
            self.manager = dict(self.manager)
        if self.bandpass is not None:
            if not isinstance(self.bandpass, Sequence) or len(self.bandpass) != 2:
                raise ValueError(
                    f"bandpass must be (lowcut, highcut) in Hz or None, got {self.bandpass!r}"
                )
            lo, hi = self.bandpass
            if lo is None and hi is None:
                raise ValueError("bandpass must have at least one edge in Hz, got (None, None)")
            for edge in (lo, hi):
                if edge is not None and (not isinstance(edge, numbers.Real) or not edge > 0):
                    raise ValueError(f"bandpass edges must be > 0 Hz, got {self.bandpass!r}")
            if lo is not None and hi is not None and lo >= hi:
                raise ValueError(
                    f"bandpass must satisfy lowcut < highcut (Hz), got {self.bandpass!r}"
                )
            self.bandpass = (lo, hi)
        if (
            isinstance(self.order, bool)
            or not isinstance(self.order, int)
            or not 1 <= self.order <= 10
        ):
            raise ValueError(f"order must be an integer in [1, 10], got {self.order!r}")
        if self.normalize not in (None, "z-score", "min-max"):
            raise ValueError(
                f"normalize must be 'z-score', 'min-max' or None, got {self.normalize!r}"
            )


@dataclass(slots=True)
class AugmentCfg:
    """Random augmentations applied to training samples only.

    Attributes:
        scale: amplitude scaling factor drawn in ``[1 - scale, 1 + scale]``.
        noise_std: standard deviation of additive Gaussian noise, in the signal's units.
        baseline_wander: amplitude of an added 0.05-0.5 Hz sinusoid, in the signal's units.
        flip_prob: probability of multiplying the signal by -1.
    """

    scale: float = 0.0
    noise_std: float = 0.0
    baseline_wander: float = 0.0
    flip_prob: float = 0.0

    def __post_init__(self) -> None:
        for name in ("scale", "noise_std", "baseline_wander"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, numbers.Real)
                or not math.isfinite(v)
                or v < 0
            ):
                raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
        if not 0.0 <= self.scale < 1.0:
            raise ValueError(f"scale must be in [0, 1), got {self.scale!r}")
        if (
            isinstance(self.flip_prob, bool)
            or not isinstance(self.flip_prob, numbers.Real)
            or not 0 <= self.flip_prob <= 1
        ):
            raise ValueError(f"flip_prob must be a probability in [0, 1], got {self.flip_prob!r}")

    @property
    def active(self) -> bool:
        """True when any augmentation is switched on."""
        return bool(self.scale or self.noise_std or self.baseline_wander or self.flip_prob)


@runtime_checkable
class ECGDatasetProtocol(Protocol):
    """What ecg-train consumes: a sized, indexable collection of tensor tuples.

    ``__getitem__`` returns ``(signal, labels)`` or ``(signal, labels, masks)`` where ``signal`` is
    float32 (leads, input_len).
    """

    fs: float
    input_len: int

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]: ...


def split_records(
    groups: Mapping[str, str], train_ratio: float, seed: int, training: bool
) -> list[str]:
    """Deterministic group-disjoint split.

    Each group (subject, or the record itself) goes to the training part when the first 8 bytes of
    ``sha256(f"{seed}:{group}")`` read as a fraction are below ``train_ratio``; so the split depends
    on nothing but the seed and the group name, and all records of a group fall on the same side.

    Args:
        groups: record name -> group name.
        train_ratio: expected fraction of groups in the training part.
        seed: split seed.
        training: return the training records (else the validation ones).

    Returns:
        Sorted record names of the requested part.
    """
    out = []
    for rec, group in groups.items():
        digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
        frac = int.from_bytes(digest[:8], "big") / 2.0**64
        if (frac < train_ratio) == training:
            out.append(rec)
    return sorted(out)


def fix_length(
    sig: npt.NDArray[np.float32], length: int, start: int = 0
) -> tuple[npt.NDArray[np.float32], int]:
    """Crop ``sig`` (leads, samples) to ``length`` from ``start`` or zero-pad its end.

    Returns:
        (array of shape (leads, length), offset of the window in the input).
    """
    n = sig.shape[-1]
    if n >= length:
        start = min(max(start, 0), n - length)
        return np.ascontiguousarray(sig[..., start : start + length]), start
    out = np.zeros((*sig.shape[:-1], length), dtype=np.float32)
    out[..., :n] = sig
    return out, 0


def apply_preproc(
    sig: npt.NDArray[np.float32], fs: float, cfg: PreprocCfg
) -> npt.NDArray[np.float32]:
    """Filter and normalize ``sig`` (leads, samples) as configured by ``cfg`` with ecg-signal's
    preprocessors (its ``bandpass`` and ``normalize``, or its PreprocManager when ``cfg.manager``
    is set)."""
    if cfg.manager is not None:
        from ecg_signal.preprocess.manager import PreprocManager

        res, _ = PreprocManager.from_config(cfg.manager)(np.asarray(sig, dtype=np.float64), fs)
        return np.ascontiguousarray(res, dtype=np.float32)
    from ecg_signal.preprocess import bandpass, normalize

    out: npt.NDArray[np.floating[Any]] = np.asarray(sig, dtype=np.float64)
    if cfg.bandpass is not None and out.shape[-1] > 3 * (2 * cfg.order + 1):
        lo, hi = cfg.bandpass
        if hi is not None and hi >= fs / 2.0:  # a band edge at or above Nyquist is dropped
            hi = None
        if lo is not None or hi is not None:
            out = bandpass(out, float(fs), lo, hi, order=int(cfg.order))
    if cfg.normalize is not None:
        out = normalize(out, method=cfg.normalize)
    return np.ascontiguousarray(out, dtype=np.float32)


def apply_augment(
    sig: npt.NDArray[np.float32], fs: float, cfg: AugmentCfg, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Apply the random augmentations of ``cfg`` to ``sig`` (leads, samples) with ``rng``."""
    out = np.array(sig, dtype=np.float32, copy=True)
    if cfg.scale:
        out *= np.float32(rng.uniform(1 - cfg.scale, 1 + cfg.scale))
    if cfg.baseline_wander:
        t = np.arange(out.shape[-1]) / fs
        f = rng.uniform(0.05, 0.5)
        out += (cfg.baseline_wander * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))).astype(
            np.float32
        )
    if cfg.noise_std:
        out += rng.normal(0.0, cfg.noise_std, size=out.shape).astype(np.float32)
    if cfg.flip_prob and rng.random() < cfg.flip_prob:
        out = -out
    return out
