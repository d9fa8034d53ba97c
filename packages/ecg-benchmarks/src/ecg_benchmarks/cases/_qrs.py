"""Building blocks of the cpsc2019 case: the training Datasets, the training step's input
(augmentation, then the detector's scaling), the network + classic detector hybrid and the
beat-by-beat scoring of long records.

Shapes: windows are ``(1, samples)`` at the network's rate ``fs``; masks and loss weights are
``(samples // reduction, 1)`` (the network's output rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset

from ecg_benchmarks.cases._qrs_data import QRSRecording

__all__ = [
    "CPSCWindows",
    "WindowPool",
    "gross_f1",
    "hybrid_peaks",
    "noise_only_windows",
    "scale_batch",
    "score_long_record",
]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Item = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _mask(peaks: IntArray, n: int, half: int, reduction: int) -> FloatArray:
    from ecg_data.datasets.cpsc2019 import qrs_mask

    return qrs_mask(peaks, n, half, reduction)


class CPSCWindows(Dataset[Item]):
    """The CPSC2019 training records of a :class:`ecg_data.CPSC2019Dataset` (items: filtered
    signal, full-rate QRS mask), each repeated ``repeat`` times, as ``(signal, mask, weight)``:
    the signal band-passed by :func:`ecg_models.pretrained.qrs.qrs_input` and scaled by
    :func:`~ecg_models.pretrained.qrs.robust_scale`, the mask at ``1 / reduction`` of the rate,
    weight 1 everywhere."""

    def __init__(self, dataset: Any, reduction: int, repeat: int = 1) -> None:
        from ecg_models.pretrained.qrs import qrs_input, robust_scale

        fs = float(dataset.fs)
        self.items: list[Item] = []
        for i in range(len(dataset)):
            sig, mask = dataset[i]
            x = robust_scale(qrs_input(sig.numpy(), fs, fs))
            n = mask.shape[0]
            m = torch.from_numpy(np.ascontiguousarray(mask.numpy()[::reduction][: n // reduction]))
            self.items.append((torch.from_numpy(x), m, torch.ones_like(m)))
        self.repeat = int(repeat)

    def __len__(self) -> int:
        return len(self.items) * self.repeat

    def __getitem__(self, index: int) -> Item:
        return self.items[index % len(self.items)]


class WindowPool(Dataset[Item]):
    """``n_windows`` windows drawn from long recordings, afresh each epoch.

    Item ``i`` of epoch ``e`` is a pure function of ``(seed, e, i)``: a recording (chosen with
    probability proportional to its annotated length, capped at ``cap_s``) and a window start
    inside its annotated span. The case sets :attr:`epoch` from the trainer at every step.
    With probability ``time_scale`` the window is time-scaled: ``f * window`` samples (``f``
    log-uniform in ``[1 / time_scale_max, time_scale_max]``) linearly interpolated to
    ``window``, R peaks mapped alike (heart rate times ``f``; the QRS mask keeps its width).

    Args:
        recordings: the recordings (:class:`~ecg_benchmarks.cases._qrs_data.QRSRecording`).
        n_windows: items per epoch.
        window: samples per window; fs: their rate; half_width_s: QRS half-width of the mask.
        reduction: the network's output step in samples.
        time_scale: probability of a time-scaled window; time_scale_max: largest factor.
    """

    def __init__(
        self,
        recordings: Sequence[QRSRecording],
        n_windows: int,
        window: int,
        fs: float,
        half_width_s: float,
        reduction: int,
        seed: int = 0,
        cap_s: float = 120.0,
        time_scale: float = 0.0,
        time_scale_max: float = 1.25,
    ) -> None:
        self.recs = [r for r in recordings if r.hi - r.lo >= window // 2 and len(r.x) >= window]
        if not self.recs:
            raise ValueError(f"no recording holds a {window}-sample window")
        span = np.array([min(r.hi - r.lo, cap_s * fs) for r in self.recs], dtype=np.float64)
        self.p = span / span.sum()
        self.n, self.window, self.r = int(n_windows), int(window), int(reduction)
        self.half = round(half_width_s * fs)
        self.seed, self.epoch = int(seed), 0
        self.time_scale, self.time_scale_max = float(time_scale), float(time_scale_max)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> Item:
        from ecg_models.pretrained.qrs import robust_scale

        rng = np.random.default_rng([self.seed, self.epoch, int(index)])
        rec = self.recs[int(rng.choice(len(self.recs), p=self.p))]
        w = n = self.window  # n: source samples of the window
        if self.time_scale > 0 and rng.random() < self.time_scale:
            g = np.log(self.time_scale_max)
            n = min(len(rec.x), round(w * float(np.exp(rng.uniform(-g, g)))))
        lo = max(0, min(rec.lo - n // 4, len(rec.x) - n))
        hi = max(lo, min(rec.hi - 3 * n // 4, len(rec.x) - n))
        st = int(rng.integers(lo, hi + 1))
        seg = rec.x[st : st + n]
        if n != w:
            pos = np.arange(w) * (n / w)
            seg = np.interp(pos, np.arange(n), seg).astype(np.float32)
        x = robust_scale(seg[None])
        inside = rec.peaks[(rec.peaks >= st) & (rec.peaks < st + n)] - st
        if n != w:
            inside = np.minimum(np.round(inside * (w / n)).astype(np.int64), w - 1)
        mask = _mask(inside, w, self.half, self.r)
        weight = np.zeros_like(mask)
        a = round(max(0, rec.lo - st) * w / n) // self.r
        b = round(max(0, min(n, rec.hi - st)) * w / n) // self.r
        weight[a:b] = 1.0
        return torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(weight)


def scale_batch(x: torch.Tensor, clip: float = 5.0) -> torch.Tensor:
    """:func:`ecg_models.pretrained.qrs.robust_scale` of a ``(batch, leads, samples)`` tensor
    (applied after augmentation, as the detector scales each window it sees)."""
    med = x.median(dim=-1, keepdim=True).values
    mad = (x - med).abs().median(dim=-1, keepdim=True).values
    return ((x - med) / (5.0 * 1.4826 * mad + 1e-6)).clamp(-clip, clip)


def noise_only_windows(
    x: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    fs: float,
    prob: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hard negatives: each window of ``x`` ``(batch, leads, samples)`` is replaced with
    probability ``prob`` by noise alone (a random mix of every kind of
    :mod:`ecg_signal.augment.coloured_noise`, unit variance), its mask ``y`` ``(batch, steps, 1)``
    set to 0 and its loss weight ``w`` to 1 everywhere: no QRS complex in noise without an ECG.
    New tensors when a window is replaced; the inputs otherwise."""
    from ecg_signal.augment.coloured_noise import NOISE_KINDS, coloured_noise

    neg = torch.rand(x.shape[0], generator=generator) < prob
    k = int(neg.sum())
    if k == 0:
        return x, y, w
    weights = torch.rand((k, len(NOISE_KINDS)), generator=generator, dtype=torch.float64)
    weights = weights / weights.sum(dim=1, keepdim=True)
    shape = (k, *x.shape[1:])
    mix = torch.zeros(shape, dtype=torch.float64)
    for j, kind in enumerate(NOISE_KINDS):
        mix += weights[:, j, None, None].sqrt() * coloured_noise(shape, fs, kind, generator)
    x, y, w = x.clone(), y.clone(), w.clone()
    x[neg] = mix.to(x.dtype)
    y[neg] = 0.0
    w[neg] = 1.0
    return x, y, w


def hybrid_peaks(
    prob: npt.NDArray[np.floating[Any]],
    detector_peaks: IntArray,
    own_peaks: IntArray,
    fs: float,
    step_s: float,
    confirm: float = 0.1,
    reach_s: float = 0.04,
    min_gap_s: float = 0.1,
) -> IntArray:
    """R peaks of the network and a classic detector together (sample indices at ``fs``).

    A detector beat is kept when the network's QRS probability ``prob`` (one value per
    ``step_s`` seconds) exceeds ``confirm`` within ``reach_s`` of it: the detector localises
    the R peak, the network vetoes artefacts it mistook for beats. The network's own beats
    ``own_peaks`` farther than ``min_gap_s`` from every kept detector beat are added.
    """
    p = np.asarray(prob, dtype=np.float64)
    det = np.asarray(detector_peaks, dtype=np.int64)
    if det.size and p.size:
        t = det / fs
        lo = np.clip(np.floor((t - reach_s) / step_s).astype(np.int64), 0, len(p) - 1)
        hi = np.clip(np.floor((t + reach_s) / step_s).astype(np.int64) + 1, 1, len(p))
        keep = det[[bool(p[a:b].max(initial=0.0) > confirm) for a, b in zip(lo, hi, strict=True)]]
    else:
        keep = det[:0]
    own = np.asarray(own_peaks, dtype=np.int64)
    if keep.size and own.size:
        idx = np.searchsorted(keep, own)
        left = np.abs(own - keep[np.clip(idx - 1, 0, keep.size - 1)])
        right = np.abs(own - keep[np.clip(idx, 0, keep.size - 1)])
        own = own[np.minimum(left, right) > min_gap_s * fs]
    return np.unique(np.concatenate([keep, own])).astype(np.int64)


def score_long_record(
    ref: IntArray, pred: IntArray, fs: float, start_s: float = 300.0, tol_s: float = 0.15
) -> dict[str, float]:
    """Beat-by-beat Se, PPV, F1 and counts (wfdb matching rule at ``tol_s``) from ``start_s`` on (the
    first 5 minutes are the learning period of ANSI/AAMI EC57, as in WFDB's ``bxb``)."""
    from ecg_signal.rpeaks import compare

    a = round(start_s * fs)
    c = compare(ref[ref >= a], pred[pred >= a], fs, tol_s)
    return {"se": c.sensitivity, "ppv": c.ppv, "f1": c.f1, "tp": c.tp, "fp": c.fp, "fn": c.fn}


def gross_f1(rows: Sequence[dict[str, float]]) -> float:
    """F1 of the beats pooled over records (EC57's gross statistic) from
    :func:`score_long_record` rows."""
    tp = sum(r["tp"] for r in rows)
    bad = sum(r["fp"] + r["fn"] for r in rows)
    return 1.0 if tp + bad == 0 else 2 * tp / (2 * tp + bad)
