"""Building blocks of the cpsc2019 case: the training Dataset, the trainer subclass, artefact
augmentation and the post-processing from QRS probabilities to R peaks.

Shapes: signals are ``(batch, 1, samples)`` at 500 Hz; the QRS masks and model outputs are at
``1 / REDUCTION`` of that rate, ``(batch, samples // REDUCTION, 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset

from ecg_benchmarks.cases._qrs_data import REDUCTION
from ecg_signal import AugmenterManager
from ecg_train import BaseTrainer

__all__ = [
    "REDUCTION",
    "QRSTrainer",
    "QRSWindows",
    "add_artefacts",
    "hybrid_peaks",
    "peaks_from_prob",
]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class QRSWindows(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Preprocessed windows with their QRS masks and loss weights: items ``(signal (1, samples),
    mask (samples // REDUCTION, 1), weight (samples // REDUCTION, 1))``."""

    def __init__(
        self,
        signals: Sequence[FloatArray],
        masks: Sequence[FloatArray],
        weights: Sequence[FloatArray],
    ) -> None:
        if not len(signals) == len(masks) == len(weights) or not signals:
            raise ValueError(
                "need as many masks and weights as signals (> 0), got "
                f"{len(signals)}, {len(masks)}, {len(weights)}"
            )
        self.signals = torch.from_numpy(np.stack(signals))
        self.masks = torch.from_numpy(np.stack(masks))
        self.weights = torch.from_numpy(np.stack(weights))

    def __len__(self) -> int:
        return int(self.signals.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.signals[index], self.masks[index], self.weights[index]


def add_artefacts(
    x: torch.Tensor, ys: tuple[torch.Tensor, ...], gen: torch.Generator, prob: float = 0.5
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Artefacts of ambulatory recordings and a random circular shift, applied to a training batch.

    Each kind is drawn for a ``prob`` fraction of the records, independently:

    * spikes: 1 to 7 Hann-shaped bursts of 4-80 ms with amplitudes of 2-10 (robust units);
    * motion: 1 to 3 Hann-windowed sinusoids of 1-8 Hz lasting 0.3-2.5 s, amplitudes 0.5-4;
    * muscle noise: 1 to 3 Hann-windowed bursts of white noise lasting 0.2-2 s, SD 0.05-0.5.

    The shift moves the signal and its per-step tensors together by a multiple of
    ``REDUCTION`` samples, so they stay aligned. ``fs`` is 500 Hz (the case's rate).

    Args:
        x: ``(batch, 1, samples)``; ys: tensors ``(batch, samples // REDUCTION, k)``.
        gen: the random generator (seeded by the trainer for exact resume).
        prob: probability that a record gets spikes.

    Returns:
        New ``(x, ys)``; the inputs are not modified.
    """
    x, ys = x.clone(), tuple(y.clone() for y in ys)
    b, _, n = x.shape
    for k in range(b):
        if float(torch.rand((), generator=gen)) < prob:
            for _ in range(int(torch.randint(1, 8, (), generator=gen))):
                width = int(torch.randint(2, 40, (), generator=gen))
                start = int(torch.randint(0, n - width, (), generator=gen))
                amp = float(torch.randn((), generator=gen)) * float(
                    2 + 8 * torch.rand((), generator=gen)
                )
                x[k, :, start : start + width] += amp * torch.hann_window(width, periodic=False)
        if float(torch.rand((), generator=gen)) < prob:
            for _ in range(int(torch.randint(1, 4, (), generator=gen))):
                width = min(n - 1, int(150 + 1100 * float(torch.rand((), generator=gen))))
                start = int(torch.randint(0, n - width, (), generator=gen))
                freq = 1.0 + 7.0 * float(torch.rand((), generator=gen))
                amp = 0.5 + 3.5 * float(torch.rand((), generator=gen))
                phase = 6.283185 * float(torch.rand((), generator=gen))
                t = torch.arange(width, dtype=x.dtype) / 500.0
                wave = torch.sin(6.283185 * freq * t + phase) * torch.hann_window(
                    width, periodic=False, dtype=x.dtype
                )
                x[k, :, start : start + width] += amp * wave
        if float(torch.rand((), generator=gen)) < prob:
            for _ in range(int(torch.randint(1, 4, (), generator=gen))):
                width = min(n - 1, int(100 + 900 * float(torch.rand((), generator=gen))))
                start = int(torch.randint(0, n - width, (), generator=gen))
                sd = 0.05 + 0.45 * float(torch.rand((), generator=gen))
                noise = torch.randn(width, generator=gen, dtype=x.dtype) * sd
                x[k, :, start : start + width] += noise * torch.hann_window(
                    width, periodic=False, dtype=x.dtype
                )
        shift = int(torch.randint(0, n // REDUCTION, (), generator=gen))
        x[k] = torch.roll(x[k], shift * REDUCTION, dims=-1)
        for y in ys:
            y[k] = torch.roll(y[k], shift, dims=0)
    return x, ys


def peaks_from_prob(
    prob: npt.NDArray[np.floating[Any]], fs: float, threshold: float, min_qrs_s: float = 0.04
) -> IntArray:
    """R peaks from per-step QRS probabilities ``(samples // REDUCTION,)``.

    Each run of ``prob > threshold`` at least ``min_qrs_s`` long is one QRS complex; its R peak is
    placed at the run's centre (in input samples). Runs closer than a 200 ms refractory period
    to the previous peak are dropped.
    """
    above = np.r_[0, (np.asarray(prob) > threshold).astype(np.int8), 0]
    starts = np.flatnonzero(np.diff(above) == 1)
    ends = np.flatnonzero(np.diff(above) == -1)
    peaks: list[int] = []
    for a, b in zip(starts, ends, strict=True):
        if (b - a) * REDUCTION < min_qrs_s * fs:
            continue
        centre = int((a + b) * REDUCTION // 2)
        if peaks and centre - peaks[-1] < 0.2 * fs:
            continue
        peaks.append(centre)
    return np.asarray(peaks, dtype=np.int64)


def hybrid_peaks(
    prob: npt.NDArray[np.floating[Any]],
    detector_peaks: IntArray,
    fs: float,
    threshold: float,
    confirm: float = 0.1,
    reach_s: float = 0.04,
    min_gap_s: float = 0.1,
) -> IntArray:
    """R peaks of the network and a classic detector together.

    A detector beat is kept when the network's QRS probability ``prob`` (per step,
    ``(samples // REDUCTION,)``) exceeds ``confirm`` within ``reach_s`` of it: the detector
    localises the R peak, the network vetoes artefacts it mistook for beats. The network's own
    beats (:func:`peaks_from_prob` at ``threshold``) farther than ``min_gap_s`` from every kept
    detector beat are added: beats the detector missed.

    Returns:
        Sorted int64 sample indices.
    """
    p = np.asarray(prob, dtype=np.float64)
    det = np.asarray(detector_peaks, dtype=np.int64)
    reach = round(reach_s * fs)
    lo = np.clip((det - reach) // REDUCTION, 0, len(p) - 1)
    hi = np.clip((det + reach) // REDUCTION + 1, 1, len(p))
    keep = det[[bool(p[a:b].max(initial=0.0) > confirm) for a, b in zip(lo, hi, strict=True)]]
    own = peaks_from_prob(p, fs, threshold)
    if keep.size:
        gap = np.abs(own[:, None] - keep[None, :]).min(axis=1)
        own = own[gap > min_gap_s * fs]
    return np.unique(np.concatenate([keep, own])).astype(np.int64)


class QRSTrainer(BaseTrainer):
    """BaseTrainer for QRS sequence labelling: BCE on the per-step QRS logits, with the
    augmenters of ecg_signal (baseline wander, polarity flip, renormalisation) and artefact
    spikes applied to each training batch."""

    item_arities = (3,)

    def __init__(
        self,
        model: torch.nn.Module,
        config: Any,
        train_set: QRSWindows,
        val_set: QRSWindows | None = None,
        fs: float = 500.0,
    ) -> None:
        self._train_set, self._val_set = train_set, val_set
        self._gen = torch.Generator()
        self.augmenter = AugmenterManager.from_config(
            {
                "random": False,
                "fs": fs,
                "baseline_wander": {"prob": 0.5},
                "random_flip": {"prob": 0.5},
                "random_renormalize": {"prob": 0.5},
            }
        )
        super().__init__(model, config)

    def _reseed_augmentation(self) -> None:
        """Seed every random source of the augmentation from (seed, epoch, batch): the
        augmentation of a batch is then a pure function of its position, so an interrupted and
        resumed run sees exactly the same batches as an uninterrupted one."""
        base = (self.train_config.seed * 1_000_003 + self.epoch) * 1_000_003 + self.batches_done
        self._gen.manual_seed(base % 2**62)
        for k, aug in enumerate(self.augmenter.augmenters):
            aug.manual_seed((base * 31 + k + 1) % 2**62)  # type: ignore[operator]

    def _setup_dataloaders(self) -> None:
        self.train_loader = self.make_loader(self._train_set, train=True)
        if self._val_set is not None:
            self.val_loader = self.make_loader(self._val_set, train=False)

    def run_one_step(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        self._reseed_augmentation()
        x, (y, w) = add_artefacts(batch[0], (batch[1], batch[2]), self._gen)
        self.augmenter.train()
        x = self.augmenter(x)[0]
        logits = self.forward(x)
        loss: torch.Tensor = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y, weight=w
        )
        return loss

    def evaluate(self, data_loader: DataLoader[Any]) -> dict[str, float]:
        total, n = 0.0, 0
        for x, y, w in data_loader:
            logits = self.model(x.to(self.device))
            total += float(
                torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, y.to(self.device), weight=w.to(self.device), reduction="sum"
                )
            ) / max(1, y[0].numel())
            n += int(x.shape[0])
        return {"val_loss": total / max(n, 1)}

    @property
    def batch_dim(self) -> int:
        return 0

    @property
    def extra_required_train_config_fields(self) -> list[str]:
        return []
