"""Data of the cpsc2020 case: CPSC 2020 records, their beats, beat windows and segments.

A record is band-pass filtered (0.5-45 Hz), resampled to the case's rate (ecg-signal's
``resample``) and scaled by its robust standard deviation. Its beats are the R peaks of
ecg-signal's classic detector, each labelled ``S`` or ``V`` when a reference premature beat lies within the labelling tolerance, else
``N``; reference beats the detector missed are added as beats for training only. Positions are
kept at the model rate; :data:`REF_FS` (400 Hz) is the rate of the references and of the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset

from ecg_benchmarks.base import BenchmarkError

__all__ = [
    "REF_FS",
    "BEAT_CLASSES",
    "CPSC2020Record",
    "load_records",
    "label_beats",
    "BeatWindows",
    "Segments",
    "check_cpsc2020_folder",
    "preprocess",
]

REF_FS = 400.0
BEAT_CLASSES = ("N", "S", "V")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


@dataclass(slots=True)
class CPSC2020Record:
    """One preprocessed record.

    Attributes:
        name: record name (``A01``...).
        signal: (samples,) float32 at the model rate ``fs``.
        fs: model rate in Hz.
        spb, pvc: reference SPB (S) and PVC (V) positions, samples at :data:`REF_FS`.
        beats: detected R peaks (samples at ``fs``); labels: their classes (0 N, 1 S, 2 V).
    """

    name: str
    signal: FloatArray
    fs: float
    spb: IntArray
    pvc: IntArray
    beats: IntArray
    labels: IntArray

    def refs_at_fs(self) -> tuple[IntArray, IntArray]:
        """The S and V references at the model rate."""
        k = self.fs / REF_FS
        return (
            np.round(self.spb * k).astype(np.int64),
            np.round(self.pvc * k).astype(np.int64),
        )


def check_cpsc2020_folder(path: Path) -> str | None:
    """None when ``path`` holds CPSC 2020 records (``A<nn>.mat`` with ``R<nn>.mat``)."""
    data = path / "data" if (path / "data").is_dir() else path
    recs = sorted(data.glob("A[0-9][0-9].mat"))
    if not recs:
        return "it holds no A<nn>.mat record (expected data/A01.mat ... and ref/R01.mat ...)"
    ref = path / "ref" if (path / "ref").is_dir() else path
    if not (ref / f"R{recs[0].stem[1:]}.mat").is_file():
        return f"{recs[0].name} has no reference file R{recs[0].stem[1:]}.mat"
    return None


def preprocess(sig: npt.NDArray[Any], src_fs: float, fs: float) -> FloatArray:
    """A single-lead record ``(samples,)`` at ``src_fs`` band-passed (0.5-45 Hz, ecg-signal's
    zero-phase Butterworth, order 2), resampled to ``fs`` by ecg-signal's ``resample`` and divided
    by its robust standard deviation (1.4826 x the median absolute deviation)."""
    from ecg_signal import bandpass, resample

    x: npt.NDArray[np.floating[Any]] = np.nan_to_num(np.asarray(sig, dtype=np.float64))
    x = bandpass(x, src_fs, 0.5, min(45.0, 0.45 * src_fs), order=2)
    if fs != src_fs:
        x = resample(x, src_fs, fs)
    mad = float(np.median(np.abs(x - np.median(x))))
    scale = 1.4826 * mad if mad > 0 else float(np.std(x)) or 1.0
    out: FloatArray = (x / scale).astype(np.float32)
    return out


def label_beats(beats: IntArray, spb: IntArray, pvc: IntArray, tolerance: float) -> IntArray:
    """Class of each beat: 1 (S) / 2 (V) for the beat nearest to each reference within
    ``tolerance`` samples (one beat per reference), else 0 (N). All positions at one rate."""
    labels = np.zeros(len(beats), dtype=np.int64)
    if len(beats) == 0:
        return labels
    for cls, refs in ((1, spb), (2, pvc)):
        if len(refs) == 0:
            continue
        idx = np.clip(np.searchsorted(beats, refs), 1, len(beats) - 1) if len(beats) > 1 else None
        if idx is None:
            nearest = np.zeros(len(refs), dtype=np.int64)
        else:
            left, right = beats[idx - 1], beats[idx]
            nearest = np.where(np.abs(refs - left) <= np.abs(right - refs), idx - 1, idx)
        ok = np.abs(beats[nearest] - refs) <= tolerance
        labels[nearest[ok]] = cls
    return labels


def load_records(
    path: Path, names: Sequence[str], fs: float, max_minutes: float, tolerance_s: float
) -> list[CPSC2020Record]:
    """Read, preprocess and beat-label ``names`` of the CPSC 2020 folder ``path``.

    Args:
        max_minutes: keep only the first minutes of each record (0: whole records).
        tolerance_s: labelling tolerance in seconds between a detected beat and a reference.
    """
    from ecg_data.readers.base import ReaderError
    from ecg_data.readers.cpsc2020 import CPSC2020
    from ecg_signal.rpeaks import detect_rpeaks

    try:
        reader = CPSC2020(path)
    except (ReaderError, ValueError) as exc:
        raise BenchmarkError(f"cannot read CPSC 2020 records in {path}: {exc}") from exc
    out = []
    for name in names:
        try:
            sampto = int(max_minutes * 60 * REF_FS) if max_minutes > 0 else None
            raw = reader.load_data(name, sampto=sampto) if sampto else reader.load_data(name)
            ann = reader.load_ann(name)
        except (ReaderError, ValueError) as exc:
            raise BenchmarkError(f"cannot read record {name} of {path}: {exc}") from exc
        n_ref = raw.shape[-1]
        spb = ann.spb[ann.spb < n_ref]
        pvc = ann.pvc[ann.pvc < n_ref]
        sig = preprocess(raw[0], REF_FS, fs)
        beats = np.asarray(detect_rpeaks(sig, fs), dtype=np.int64)
        rec = CPSC2020Record(name, sig, fs, spb, pvc, beats, np.zeros(0, dtype=np.int64))
        s_fs, v_fs = rec.refs_at_fs()
        rec.labels = label_beats(beats, s_fs, v_fs, tolerance_s * fs)
        out.append(rec)
    return out


class BeatWindows(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Beat-centred windows ``(signal (1, window), class, item index)`` for ECG_CRNN.

    Args:
        records: the records.
        window: samples per window (centred on the beat, zero-padded at the record ends).
        training: add the reference beats the detector missed, cap the N beats per record at
            ``max_normal`` (random, seeded) and augment (amplitude scale, noise).
        max_normal: N beats kept per record in training (0: all).
        seed: random seed of the N-beat draw and of the augmentation.
    """

    def __init__(
        self,
        records: Sequence[CPSC2020Record],
        window: int,
        *,
        training: bool,
        max_normal: int = 0,
        seed: int = 0,
    ) -> None:
        self.records = list(records)
        self.window = int(window)
        self.training = training
        self.seed = seed
        self._epoch = 0
        half = self.window // 2
        self._padded = [np.pad(r.signal, (half, self.window - half)) for r in self.records]
        rng = np.random.default_rng(seed)
        rec_idx, pos, lab = [], [], []
        for i, r in enumerate(self.records):
            beats, labels = r.beats, r.labels
            if training:
                s_fs, v_fs = r.refs_at_fs()
                extra_s = [int(p) for p in s_fs if not _near(p, beats, labels, 1, half)]
                extra_v = [int(p) for p in v_fs if not _near(p, beats, labels, 2, half)]
                normal = np.flatnonzero(labels == 0)
                if max_normal and len(normal) > max_normal:
                    normal = np.sort(rng.choice(normal, max_normal, replace=False))
                keep = np.sort(np.concatenate([normal, np.flatnonzero(labels > 0)]))
                beats = np.concatenate([beats[keep], extra_s, extra_v]).astype(np.int64)
                labels = np.concatenate(
                    [labels[keep], np.ones(len(extra_s)), np.full(len(extra_v), 2)]
                ).astype(np.int64)
            rec_idx.append(np.full(len(beats), i, dtype=np.int64))
            pos.append(beats)
            lab.append(labels)
        self.rec_idx = np.concatenate(rec_idx) if rec_idx else np.zeros(0, np.int64)
        self.positions = np.concatenate(pos) if pos else np.zeros(0, np.int64)
        self.labels = np.concatenate(lab) if lab else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def class_counts(self) -> list[int]:
        return [int((self.labels == k).sum()) for k in range(len(BEAT_CLASSES))]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} beats")
        p = int(self.positions[index])
        x = self._padded[int(self.rec_idx[index])][p : p + self.window].copy()
        if self.training:
            rng = np.random.default_rng([self.seed, self._epoch, index])
            x = x * rng.uniform(0.8, 1.2) + rng.normal(0.0, 0.05, x.shape).astype(np.float32)
        return (
            torch.from_numpy(x.astype(np.float32)[None]),
            torch.tensor(int(self.labels[index])),
            torch.tensor(index),
        )


def _near(p: int, beats: IntArray, labels: IntArray, cls: int, tol: int) -> bool:
    hits = np.abs(beats - p) <= tol
    return bool(np.any(hits & (labels == cls)))


class Segments(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Non-overlapping segments ``(signal (1, length), targets (length, 2), item index)`` for
    ECG_SEQ_LAB_NET: target channel 0 (S) / 1 (V) is 1 within ``half_width`` samples of a
    reference beat of that class.

    Args:
        training: keep every segment with a premature beat and at most ``max_plain`` others per
            record (random, seeded), and augment.
    """

    def __init__(
        self,
        records: Sequence[CPSC2020Record],
        length: int,
        half_width: int,
        *,
        training: bool,
        max_plain: int = 0,
        seed: int = 0,
    ) -> None:
        self.records = list(records)
        self.length = int(length)
        self.training = training
        self.seed = seed
        self._epoch = 0
        self._targets: list[npt.NDArray[np.float32]] = []
        self._padded: list[FloatArray] = []
        rng = np.random.default_rng(seed)
        items: list[tuple[int, int]] = []
        for i, r in enumerate(self.records):
            n_seg = max(1, -(-len(r.signal) // self.length))
            total = n_seg * self.length
            self._padded.append(np.pad(r.signal, (0, total - len(r.signal))))
            tgt = np.zeros((total, 2), dtype=np.float32)
            for ch, refs in enumerate(r.refs_at_fs()):
                for p in refs:
                    tgt[max(0, p - half_width) : p + half_width + 1, ch] = 1.0
            self._targets.append(tgt)
            starts = np.arange(n_seg) * self.length
            if training:
                has = np.array([tgt[s : s + self.length].any() for s in starts], dtype=bool)
                plain = np.flatnonzero(~has)
                if max_plain and len(plain) > max_plain:
                    plain = rng.choice(plain, max_plain, replace=False)
                starts = starts[np.sort(np.concatenate([np.flatnonzero(has), plain]))]
            items.extend((i, int(s)) for s in starts)
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} segments")
        i, s = self.items[index]
        x = self._padded[i][s : s + self.length].copy()
        if self.training:
            rng = np.random.default_rng([self.seed, self._epoch, index])
            x = x * rng.uniform(0.8, 1.2) + rng.normal(0.0, 0.05, x.shape).astype(np.float32)
        y = self._targets[i][s : s + self.length]
        return (
            torch.from_numpy(x.astype(np.float32)[None]),
            torch.from_numpy(y.copy()),
            torch.tensor(index),
        )
