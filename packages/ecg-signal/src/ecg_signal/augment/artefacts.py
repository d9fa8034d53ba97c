"""Artefacts of ambulatory recordings added to the ECG: spikes, motion and muscle-noise bursts.

Each augmented (batch, lead) item gets, independently with its own probability, each kind:

* spikes: 1 to ``spike_count`` Hann-shaped bursts lasting ``spike_width_s`` with a random sign
  and an amplitude in ``spike_amplitude`` (electrode pops, cable taps);
* motion: 1 to ``motion_count`` Hann-windowed sinusoids of ``motion_freq_hz`` lasting
  ``motion_duration_s`` with an amplitude in ``motion_amplitude`` (electrode motion);
* muscle: 1 to ``muscle_count`` Hann-windowed bursts of white noise lasting
  ``muscle_duration_s`` with a standard deviation in ``muscle_std`` (EMG).

Every range is ``(low, high)``, drawn uniformly; amplitudes are in the units of the signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ecg_signal._validation import check_probability
from ecg_signal.augment._config import check_fs_opt, check_pair, check_prob_pair, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["RandomArtefacts", "RandomArtefactsConfig"]

_RANGES = (
    "spike_width_s",
    "spike_amplitude",
    "motion_duration_s",
    "motion_freq_hz",
    "motion_amplitude",
    "muscle_duration_s",
    "muscle_std",
)


@dataclass(slots=True)
class RandomArtefactsConfig:
    """Configuration of :class:`RandomArtefacts`.

    Attributes:
        fs: sampling rate in Hz (required before use; the manager fills it in).
        spike_prob, motion_prob, muscle_prob: probability that an augmented item gets each kind.
        spike_count, motion_count, muscle_count: the largest number of bursts of each kind.
        spike_width_s, spike_amplitude: ``(low, high)`` ranges of the spikes' width (s) and
            amplitude (signal units).
        motion_duration_s, motion_freq_hz, motion_amplitude: ``(low, high)`` ranges of the
            motion bursts' duration (s), frequency (Hz) and amplitude (signal units).
        muscle_duration_s, muscle_std: ``(low, high)`` ranges of the muscle-noise bursts'
            duration (s) and standard deviation (signal units).
        prob: ``(batch_prob, lead_prob)`` or one probability for both: the fraction of the batch
            that is augmented and the fraction of leads of each augmented ECG.
        inplace: add the artefacts into the input tensor.
        seed: seed of the private generator (None: drawn from torch's global generator).
    """

    fs: float | None = None
    spike_prob: float = 0.5
    spike_count: int = 7
    spike_width_s: tuple[float, float] = (0.004, 0.08)
    spike_amplitude: tuple[float, float] = (2.0, 10.0)
    motion_prob: float = 0.5
    motion_count: int = 3
    motion_duration_s: tuple[float, float] = (0.3, 2.5)
    motion_freq_hz: tuple[float, float] = (1.0, 8.0)
    motion_amplitude: tuple[float, float] = (0.5, 4.0)
    muscle_prob: float = 0.5
    muscle_count: int = 3
    muscle_duration_s: tuple[float, float] = (0.2, 2.0)
    muscle_std: tuple[float, float] = (0.05, 0.5)
    prob: float | tuple[float, float] = (1.0, 1.0)
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        for name in ("spike_prob", "motion_prob", "muscle_prob"):
            setattr(self, name, check_probability(getattr(self, name), name))
        for name in ("spike_count", "motion_count", "muscle_count"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        for name in _RANGES:
            setattr(self, name, check_pair(getattr(self, name), name, low=0.0))
        if self.motion_freq_hz[0] <= 0 or self.spike_width_s[0] <= 0:
            raise ValueError("motion_freq_hz and spike_width_s must be above 0")
        if self.fs is not None and self.motion_freq_hz[1] >= self.fs / 2:
            raise ValueError(
                f"motion_freq_hz must be below fs/2 = {self.fs / 2:g} Hz, got {self.motion_freq_hz}"
            )
        self.prob = check_prob_pair(self.prob, "lead")
        if not isinstance(self.inplace, bool):
            raise TypeError(f"inplace must be a bool, got {self.inplace!r}")
        self.seed = check_seed(self.seed)


class RandomArtefacts(Augmenter):
    """Add spikes, motion artefacts and muscle-noise bursts (see the module docstring).

    Args:
        fs: sampling rate in Hz.
        prob, the kinds' options, inplace, seed: see :class:`RandomArtefactsConfig`.
        generator: a shared :class:`torch.Generator` (instead of ``seed``).

    Shapes:
        ``sig``: ``(batch, leads, samples)``; label and extras pass through unchanged (the
        artefacts do not move the beats).

    Example:
        >>> art = RandomArtefacts(fs=500, seed=0)
        >>> sig, label = art(torch.zeros(2, 1, 5000), None)
    """

    name = "random_artefacts"
    config_class = RandomArtefactsConfig

    def __init__(
        self,
        fs: float | None,
        spike_prob: float = 0.5,
        spike_count: int = 7,
        spike_width_s: tuple[float, float] = (0.004, 0.08),
        spike_amplitude: tuple[float, float] = (2.0, 10.0),
        motion_prob: float = 0.5,
        motion_count: int = 3,
        motion_duration_s: tuple[float, float] = (0.3, 2.5),
        motion_freq_hz: tuple[float, float] = (1.0, 8.0),
        motion_amplitude: tuple[float, float] = (0.5, 4.0),
        muscle_prob: float = 0.5,
        muscle_count: int = 3,
        muscle_duration_s: tuple[float, float] = (0.2, 2.0),
        muscle_std: tuple[float, float] = (0.05, 0.5),
        prob: float | Sequence[float] = (1.0, 1.0),
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if fs is None:
            raise ValueError("fs (sampling rate in Hz) is required by random_artefacts, got None")
        cfg = RandomArtefactsConfig(
            fs, spike_prob, spike_count, spike_width_s, spike_amplitude, motion_prob,
            motion_count, motion_duration_s, motion_freq_hz, motion_amplitude, muscle_prob,
            muscle_count, muscle_duration_s, muscle_std, check_prob_pair(prob, "lead"),
            inplace, seed,
        )  # fmt: skip
        probs = check_prob_pair(cfg.prob, "lead")
        super().__init__(probs[0], cfg.inplace, seed=cfg.seed, generator=generator)
        self.fs: float = float(fs)
        self.lead_prob = probs[1]
        self.config = cfg

    def _uniform(self, lo_hi: tuple[float, float]) -> float:
        lo, hi = lo_hi
        return lo + (hi - lo) * float(self._rand(1)[0])

    def _start(self, n: int, width: int) -> int:
        return int(torch.randint(0, max(1, n - width + 1), (1,), generator=self.generator))

    def _count(self, high: int) -> int:
        return int(torch.randint(1, high + 1, (1,), generator=self.generator))

    def _item(self, n: int) -> torch.Tensor:
        """The artefacts of one item: ``(n,)`` float64 (CPU)."""
        c, fs = self.config, self.fs
        out = torch.zeros(n, dtype=torch.float64)
        if float(self._rand(1)[0]) < c.spike_prob:
            for _ in range(self._count(c.spike_count)):
                w = min(n, max(2, round(self._uniform(c.spike_width_s) * fs)))
                s = self._start(n, w)
                sign = 1.0 if float(self._rand(1)[0]) < 0.5 else -1.0
                amp = sign * self._uniform(c.spike_amplitude)
                out[s : s + w] += amp * torch.hann_window(w, periodic=False, dtype=torch.float64)
        if float(self._rand(1)[0]) < c.motion_prob:
            for _ in range(self._count(c.motion_count)):
                w = min(n, max(2, round(self._uniform(c.motion_duration_s) * fs)))
                s = self._start(n, w)
                freq, amp = self._uniform(c.motion_freq_hz), self._uniform(c.motion_amplitude)
                phase = 2.0 * math.pi * float(self._rand(1)[0])
                t = torch.arange(w, dtype=torch.float64) / fs
                wave = torch.sin(2.0 * math.pi * freq * t + phase)
                out[s : s + w] += (
                    amp * wave * torch.hann_window(w, periodic=False, dtype=torch.float64)
                )
        if float(self._rand(1)[0]) < c.muscle_prob:
            for _ in range(self._count(c.muscle_count)):
                w = min(n, max(2, round(self._uniform(c.muscle_duration_s) * fs)))
                s = self._start(n, w)
                sd = self._uniform(c.muscle_std)
                noise = self._randn(w) * sd
                out[s : s + w] += noise * torch.hann_window(w, periodic=False, dtype=torch.float64)
        return out

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch, leads, n = sig.shape
        rows = self.batch_mask(self.prob, batch)
        chosen = rows[:, None] & self.select_rows(self.lead_prob, batch, leads)
        items = chosen.reshape(-1).nonzero(as_tuple=True)[0]
        if items.numel() == 0:
            return (sig, label, *extra)
        art = torch.stack([self._item(n) for _ in range(int(items.numel()))])
        flat = sig.reshape(batch * leads, n)
        if not (self.inplace and flat.data_ptr() == sig.data_ptr() and sig.is_contiguous()):
            flat = flat.clone()
        flat.index_add_(0, items.to(sig.device), art.to(device=sig.device, dtype=sig.dtype))
        return (self._finish(sig, flat.view(batch, leads, n)), label, *extra)

    def extra_repr(self) -> str:
        return f"fs={self.fs:g}, lead_prob={self.lead_prob:g}, " + super().extra_repr()
