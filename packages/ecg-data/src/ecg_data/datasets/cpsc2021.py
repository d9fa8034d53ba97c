"""torch Dataset for paroxysmal AF detection on CPSC 2021 (Wang et al. 2021), after torch_ecg's
``CPSC2021Dataset`` and its three tasks:

- ``"qrs_detection"``: ``(signal, labels)``, labels the QRS mask (R peak +/- ``bias_thr_s``) of
  shape (input_len // reduction, 1);
- ``"rr_lstm"``: ``(rr_seq, labels, masks)``: ``rr_seq`` (rr_seq_len, 1) RR intervals in s,
  ``labels`` (rr_seq_len, 1) 1 when the beat ending the interval lies in an AF/AFL episode,
  ``masks`` (rr_seq_len, 1) 1 for real intervals and 0 for padding;
- ``"main"``: ``(signal, labels, masks)``: per-sample AF mask at 1/reduction (input_len //
  reduction, 1) and the loss weights of the masked BCE loss (0 on zero-padding,
  ``boundary_weight`` within ``boundary_s`` of an AF onset or offset, 1 elsewhere).

Signals are float32 (leads, input_len); a DataLoader batches them to (batch, leads, samples).
Windows slide over each record with ``input_len - overlap_len`` samples between starts
(``input_len`` between validation windows); only each window is read from disk.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ecg_data.datasets._common import (
    ConfiguredDataset,
    FromConfigMixin,
    check_cache_fields,
    check_choice,
    check_db_dir,
    check_fs,
    check_index,
    check_int,
    check_leads,
    check_reduction,
    check_run_fields,
    require_db_dir,
    source_id,
    window_starts,
)
from ecg_data.datasets.base import AugmentCfg, PreprocCfg, fix_length, split_records
from ecg_data.datasets.cpsc2019 import qrs_mask
from ecg_data.readers.cpsc2021 import CPSC2021

__all__ = ["CPSC2021TrainConfig", "CPSC2021TrainCfg", "CPSC2021Dataset", "CPSC2021_TASKS"]

#: The tasks of the Dataset.
CPSC2021_TASKS: tuple[str, ...] = ("qrs_detection", "rr_lstm", "main")


@dataclass(slots=True)
class CPSC2021TrainConfig(FromConfigMixin):
    """Configuration of :class:`CPSC2021Dataset`.

    Attributes:
        db_dir: CPSC 2021 folder (WFDB ``data_<subject>_<n>`` records).
        task: ``"qrs_detection"``, ``"rr_lstm"`` or ``"main"``.
        fs: sampling frequency of the items in Hz (records are 200 Hz).
        input_len: samples per signal item; overlap_len: overlap of consecutive training windows
            in samples (``None``: half of ``input_len``).
        leads: lead names (``"I"``, ``"II"``).
        classes: label names (one column: ``("af",)`` or ``("qrs",)``).
        reduction: label masks have ``input_len // reduction`` rows.
        bias_thr_s: half-width in s of the QRS region of the ``qrs_detection`` labels.
        rr_seq_len: RR intervals per ``rr_lstm`` item; rr_overlap: overlap of training sequences.
        boundary_s, boundary_weight: loss weight near AF onsets/offsets (task ``main``).
        preproc, augment: preprocessing of every item, augmentation of training items.
        training, lazy: training part (else validation); read on access (else preload).
        seed, train_ratio: subject-disjoint split (see ``split_records``).
        use_cache: cache the preprocessed windows as ``.npy`` files in
            ``<cache_dir>/datasets/cpsc2021`` (key: SHA-256 of the database folder, record, window,
            fs, leads and preprocessing; atomic writes); off by default.
        cache_dir: cache folder of the reader (metadata) and of ``use_cache`` (default
            platformdirs' user cache folder of ecg-suite); never inside ``db_dir``.
    """

    db_dir: str | os.PathLike[str] | None = None
    task: str = "main"
    fs: float = 200.0
    input_len: int = 6000
    overlap_len: int | None = None
    leads: tuple[str, ...] = ("I", "II")
    classes: tuple[str, ...] = ("af",)
    reduction: int = 1
    bias_thr_s: float = 0.075
    rr_seq_len: int = 30
    rr_overlap: int = 15
    boundary_s: float = 1.0
    boundary_weight: float = 1.0
    preproc: PreprocCfg = field(default_factory=lambda: PreprocCfg(bandpass=(0.5, 45.0)))
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    training: bool = True
    lazy: bool = True
    seed: int = 42
    train_ratio: float = 0.8
    use_cache: bool = False
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        check_db_dir(self.db_dir)
        self.task = check_choice(self.task, "task", CPSC2021_TASKS)
        self.fs = check_fs(self.fs)
        self.input_len = check_int(self.input_len, "input_len (samples)", 16)
        if self.overlap_len is not None:
            self.overlap_len = check_int(self.overlap_len, "overlap_len (samples)", 0)
        if self.overlap_len is not None and self.overlap_len >= self.input_len:
            raise ValueError(
                f"overlap_len={self.overlap_len} samples must be < input_len={self.input_len} samples"
            )
        self.leads = check_leads(self.leads)
        self.classes = check_leads(self.classes)
        if len(self.classes) != 1:
            raise ValueError(f"classes must name one label column, got {self.classes!r}")
        self.reduction = check_reduction(self.reduction, self.input_len)
        self.rr_seq_len = check_int(self.rr_seq_len, "rr_seq_len (beats)", 2)
        self.rr_overlap = check_int(self.rr_overlap, "rr_overlap (beats)", 0)
        if self.rr_overlap >= self.rr_seq_len:
            raise ValueError(
                f"rr_overlap={self.rr_overlap} beats must be < rr_seq_len={self.rr_seq_len} beats"
            )
        for name, lo, hi in (("bias_thr_s", 0.0, 1.0), ("boundary_s", 0.0, 60.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not lo < float(v) < hi:
                raise ValueError(f"{name} must be in ({lo}, {hi}) s, got {v!r}")
        w = self.boundary_weight
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0 < float(w) <= 100:
            raise ValueError(f"boundary_weight must be in (0, 100], got {w!r}")
        check_run_fields(self)
        check_cache_fields(self.use_cache, self.cache_dir)


#: Default configuration; copy-and-edit: ``c = deepcopy(CPSC2021TrainCfg); c.db_dir = ...``.
CPSC2021TrainCfg = CPSC2021TrainConfig()


class CPSC2021Dataset(ConfiguredDataset[CPSC2021TrainConfig, tuple[torch.Tensor, ...]]):
    """Dataset over CPSC 2021 for the tasks of :data:`CPSC2021_TASKS` (see the module doc).

    The split is subject-disjoint (records ``data_<subject>_<n>`` of one subject fall on the same
    side) and deterministic.

    Args:
        config: :class:`CPSC2021TrainConfig` or mapping.
        training: overrides ``config.training``; lazy: overrides ``config.lazy``.
        task: overrides ``config.task``.

    Raises:
        ValueError: ``config.db_dir`` is None; ReaderError: the folder is missing.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | CPSC2021TrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
        task: str | None = None,
    ) -> None:
        cfg = self._configure(CPSC2021TrainConfig, config, training, lazy, "cpsc2021")
        if task is not None:
            cfg.task = check_choice(task, "task", CPSC2021_TASKS)
        db_dir = require_db_dir(cfg.db_dir, "CPSC2021")
        self.task = cfg.task
        self.reader = CPSC2021(db_dir, cache_dir=cfg.cache_dir)
        groups = {rec: self.reader.get_subject(rec) for rec in self.reader.all_records}
        self.records = split_records(groups, cfg.train_ratio, cfg.seed, cfg.training)
        self._ann: dict[
            str, tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], list[tuple[int, int]]]
        ] = {}
        self._rr: dict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}
        self.segments: list[tuple[str, int]] = []
        if self.task == "rr_lstm":
            stride = cfg.rr_seq_len - (cfg.rr_overlap if cfg.training else 0)
            for rec in self.records:
                rr, _ = self._rr_record(rec)
                self.segments += [(rec, s) for s in window_starts(rr.size, cfg.rr_seq_len, stride)]
        else:
            overlap = cfg.input_len // 2 if cfg.overlap_len is None else cfg.overlap_len
            stride = cfg.input_len - (overlap if cfg.training else 0)
            for rec in self.records:
                n = int(round(self.reader.get_siglen(rec) * self.fs / self.reader.get_fs(rec)))
                self.segments += [(rec, s) for s in window_starts(n, cfg.input_len, stride)]
        self._preloaded: list[tuple[torch.Tensor, ...]] | None = None
        if not cfg.lazy:
            self._preloaded = [self._make(k) for k in range(len(self.segments))]

    def __len__(self) -> int:
        return len(self.segments)

    def _rec_ann(
        self, rec: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], list[tuple[int, int]]]:
        """Sorted beat samples, per-sample AF mask and AF episodes of ``rec`` (at its own fs)."""
        if rec not in self._ann:
            ann = self.reader.load_ann(rec)
            episodes = sorted(ann.rhythms.get("AFIB", []) + ann.rhythms.get("AFL", []))
            af = np.zeros(self.reader.get_siglen(rec), dtype=bool)
            for a, b in episodes:
                af[a:b] = True
            self._ann[rec] = (np.sort(ann.beat_samples), af, episodes)
        return self._ann[rec]

    # ------------------------------------------------------------------ rr_lstm
    def _rr_record(self, rec: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """RR intervals (s) of ``rec`` and the AF label of the beat ending each interval."""
        if rec not in self._rr:
            beats, af, _ = self._rec_ann(rec)
            fs = self.reader.get_fs(rec)
            rr = (np.diff(beats) / fs).astype(np.float32)
            lab = af[np.clip(beats[1:], 0, af.size - 1)].astype(np.float32)
            self._rr[rec] = (rr, lab)
        return self._rr[rec]

    def _rr_item(self, rec: str, start: int) -> tuple[torch.Tensor, ...]:
        rr, lab = self._rr_record(rec)
        n = self.config.rr_seq_len
        seq = np.zeros((n, 1), dtype=np.float32)
        labels = np.zeros((n, 1), dtype=np.float32)
        masks = np.zeros((n, 1), dtype=np.float32)
        part = rr[start : start + n]
        seq[: part.size, 0] = part
        labels[: part.size, 0] = lab[start : start + n]
        masks[: part.size, 0] = 1.0
        return torch.from_numpy(seq), torch.from_numpy(labels), torch.from_numpy(masks)

    # ------------------------------------------------------------------ signal tasks
    def _signal(self, rec: str, start: int) -> tuple[npt.NDArray[np.float32], int]:
        """Preprocessed window (leads, input_len) starting at ``start`` (at ``fs``) and the number
        of real (not zero-padded) samples."""
        src_fs = self.reader.get_fs(rec)
        siglen = self.reader.get_siglen(rec)
        a = int(round(start * src_fs / self.fs))
        b = min(siglen, a + int(round(self.input_len * src_fs / self.fs)))
        desc = {
            "source": source_id(self.reader),
            "rec": rec,
            "a": a,
            "b": b,
            "fs": self.fs,
            "leads": self.config.leads,
            "preproc": repr(self.config.preproc),
        }
        sig = self._preprocessed(
            desc,
            lambda: self.reader.load_data(
                rec, leads=list(self.config.leads), sampfrom=a, sampto=b, fs=self.fs
            ),
        )
        n_valid = min(sig.shape[-1], self.input_len)
        sig, _ = fix_length(sig, self.input_len, 0)
        return sig, n_valid

    def _labels_main(
        self, rec: str, start: int, n_valid: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        src_fs = self.reader.get_fs(rec)
        _, af, episodes = self._rec_ann(rec)
        pos = np.floor((np.arange(self.input_len) + start) * src_fs / self.fs).astype(np.int64)
        pos = np.clip(pos, 0, af.size - 1)
        labels = af[pos].astype(np.float32)
        weights = np.ones(self.input_len, dtype=np.float32)
        if self.config.boundary_weight != 1.0:
            half = int(round(self.config.boundary_s * self.fs))
            for on, off in episodes:
                for edge in (on, off):
                    e = int(round(edge * self.fs / src_fs)) - start
                    lo, hi = max(0, e - half), min(self.input_len, e + half + 1)
                    if lo < hi:
                        weights[lo:hi] = self.config.boundary_weight
        labels[n_valid:] = 0.0
        weights[n_valid:] = 0.0
        r = self.config.reduction
        n = self.input_len // r
        return (
            np.ascontiguousarray(labels[::r][:n, None]),
            np.ascontiguousarray(weights[::r][:n, None]),
        )

    def rpeaks(self, index: int) -> npt.NDArray[np.int64]:
        """Reference R peaks (samples at ``fs``) inside signal item ``index``."""
        rec, start = self.segments[index]
        src_fs = self.reader.get_fs(rec)
        beats = self._rec_ann(rec)[0]
        peaks = np.round(beats * (self.fs / src_fs)).astype(np.int64) - start
        return np.sort(peaks[(peaks >= 0) & (peaks < self.input_len)])

    def _make(self, index: int) -> tuple[torch.Tensor, ...]:
        rec, start = self.segments[index]
        if self.task == "rr_lstm":
            return self._rr_item(rec, start)
        sig, n_valid = self._signal(rec, start)
        if self.task == "qrs_detection":
            half = int(round(self.config.bias_thr_s * self.fs))
            mask = qrs_mask(self.rpeaks(index), self.input_len, half, self.config.reduction)
            return torch.from_numpy(sig), torch.from_numpy(mask)
        labels, weights = self._labels_main(rec, start, n_valid)
        return torch.from_numpy(sig), torch.from_numpy(labels), torch.from_numpy(weights)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        index = check_index(index, len(self))
        item = self._preloaded[index] if self._preloaded is not None else self._make(index)
        if self.task != "rr_lstm" and self.training and self.config.augment.active:
            item = (torch.from_numpy(self._augment(item[0].numpy(), index)), *item[1:])
        return item
