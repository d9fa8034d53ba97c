"""torch Dataset for QRS detection on CPSC 2019 (Gao et al. 2019), after torch_ecg's
``CPSC2019Dataset``: each item is a 10 s single-lead signal and a mask of QRS regions (R peak
plus/minus ``bias_thr_s``) at the model's output resolution (``input_len // reduction``)."""

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
    check_db_dir,
    check_fs,
    check_index,
    check_int,
    check_reduction,
    check_run_fields,
    record_description,
)
from ecg_data.datasets.base import AugmentCfg, PreprocCfg, fix_length, split_records
from ecg_data.readers.base import resample_signal
from ecg_data.readers.cpsc2019 import CPSC2019
from ecg_data.readers.synthetic import SyntheticDB

__all__ = ["CPSC2019TrainConfig", "CPSC2019TrainCfg", "CPSC2019Dataset", "qrs_mask"]


@dataclass(slots=True)
class CPSC2019TrainConfig(FromConfigMixin):
    """Configuration of :class:`CPSC2019Dataset`.

    Attributes:
        db_dir: CPSC 2019 folder (with ``data/`` and ``ref/``); ``None`` uses a SyntheticDB.
        fs: sampling frequency of the items in Hz (records are resampled from 500 Hz).
        input_len: samples per item (cropped or zero-padded).
        leads: lead names (the database has one lead, ``"ECG"``).
        bias_thr_s: half-width of the QRS region around each R peak, in seconds (75 ms).
        reduction: the label mask has ``input_len // reduction`` rows.
        preproc: preprocessing of every item; augment: random augmentation of training items.
        training: training part (else validation); lazy: read on access (else preload).
        seed: split and augmentation seed; train_ratio: fraction of records used for training.
        use_cache: cache the preprocessed records (resampled to ``fs``) as ``.npy`` files in
            ``<cache_dir>/datasets/cpsc2019`` (key: SHA-256 of the data source, record, window,
            fs, leads and preprocessing; atomic writes); off by default.
        cache_dir: cache folder of the reader (metadata) and of ``use_cache`` (default
            platformdirs' user cache folder of ecg-suite); never inside ``db_dir``.
        synthetic_records: number of records of the :class:`~ecg_data.readers.synthetic.SyntheticDB`
            (single lead, 500 Hz, 10 s) used when ``db_dir`` is None.
        records: use exactly these records (in this order) instead of the seeded split
            (``training``, ``seed`` and ``train_ratio`` then do not choose records); None: split.
    """

    db_dir: str | os.PathLike[str] | None = None
    fs: float = 500.0
    input_len: int = 5000
    leads: tuple[str, ...] = ("ECG",)
    bias_thr_s: float = 0.075
    reduction: int = 1
    preproc: PreprocCfg = field(default_factory=lambda: PreprocCfg(bandpass=(0.5, 45.0)))
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    training: bool = True
    lazy: bool = True
    seed: int = 42
    train_ratio: float = 0.8
    use_cache: bool = False
    cache_dir: str | None = None
    synthetic_records: int = 100
    records: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.records is not None:
            if isinstance(self.records, str) or not all(isinstance(r, str) for r in self.records):
                raise TypeError(f"records must be a sequence of record names, got {self.records!r}")
            self.records = tuple(self.records)
            if not self.records:
                raise ValueError("records must not be empty (None uses the seeded split)")
        check_db_dir(self.db_dir)
        self.synthetic_records = check_int(self.synthetic_records, "synthetic_records")
        self.fs = check_fs(self.fs)
        self.input_len = check_int(self.input_len, "input_len (samples)", 16)
        self.reduction = check_reduction(self.reduction, self.input_len)
        if (
            isinstance(self.bias_thr_s, bool)
            or not isinstance(self.bias_thr_s, numbers.Real)
            or not 0 < self.bias_thr_s < 1
        ):
            raise ValueError(f"bias_thr_s must be in (0, 1) s, got {self.bias_thr_s!r}")
        self.leads = tuple(self.leads)
        if self.leads != ("ECG",):
            raise ValueError(
                f"leads must be ('ECG',) for CPSC2019 (single lead), got {self.leads!r}"
            )
        check_run_fields(self)
        check_cache_fields(self.use_cache, self.cache_dir)


#: Default configuration; copy-and-edit: ``c = deepcopy(CPSC2019TrainCfg); c.db_dir = ...``.
CPSC2019TrainCfg = CPSC2019TrainConfig()


def qrs_mask(
    rpeaks: npt.NDArray[np.int64], length: int, half_width: int, reduction: int = 1
) -> npt.NDArray[np.float32]:
    """Mask (length // reduction, 1) with ones on ``[r - half_width, r + half_width]`` around each
    R peak, downsampled by ``reduction`` (a row is 1 when its first sample is in a QRS region)."""
    mask = np.zeros(length, dtype=np.float32)
    for r in np.asarray(rpeaks, dtype=np.int64):
        mask[max(0, int(r) - half_width) : min(length, int(r) + half_width + 1)] = 1.0
    return np.ascontiguousarray(mask[::reduction][: length // reduction, None])


class CPSC2019Dataset(ConfiguredDataset[CPSC2019TrainConfig, tuple[torch.Tensor, torch.Tensor]]):
    """QRS-detection Dataset over CPSC 2019.

    Items: ``(signal, mask)``; signal float32 (1, input_len), mask float32
    (input_len // reduction, 1). :meth:`rpeaks` gives the reference R peaks of an item (at ``fs``).
    The split is record-disjoint and deterministic (see :func:`~ecg_data.datasets.base.split_records`).

    Args:
        config: :class:`CPSC2019TrainConfig` or mapping.
        training: overrides ``config.training``; lazy: overrides ``config.lazy``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | CPSC2019TrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
    ) -> None:
        cfg = self._configure(CPSC2019TrainConfig, config, training, lazy, "cpsc2019")
        self.reader: CPSC2019 | SyntheticDB
        if cfg.db_dir is None:
            self.reader = SyntheticDB(
                cfg.synthetic_records, fs=500.0, duration_s=10.0, leads=("II",), seed=cfg.seed
            )
        else:
            self.reader = CPSC2019(cfg.db_dir, cache_dir=cfg.cache_dir)
        groups = {rec: rec for rec in self.reader.all_records}
        if cfg.records is not None:
            unknown = sorted(set(cfg.records) - set(groups))
            if unknown:
                raise ValueError(
                    f"records {unknown[:5]} are not in the database ({len(groups)} records, "
                    f"e.g. {sorted(groups)[:3]})"
                )
            self.records = list(cfg.records)
        else:
            self.records = split_records(groups, cfg.train_ratio, cfg.seed, cfg.training)
        self._cache: list[tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]] | None = None
        if not cfg.lazy:
            self._cache = [self._load(rec) for rec in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def _load(self, rec: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Preprocessed record (1, samples at ``fs``), through the disk cache if enabled, and its
        R peaks at ``fs`` (always from the annotations)."""
        peaks = (
            self.reader.rpeaks(rec)
            if isinstance(self.reader, SyntheticDB)
            else self.reader.load_ann(rec)
        )
        src_fs = self.reader.get_fs(rec)
        if src_fs != self.fs:
            peaks = np.round(peaks * (self.fs / src_fs)).astype(np.int64)
        desc = record_description(
            self.reader, rec, self.fs, self.reader.get_lead_names(rec), self.config.preproc
        )

        def load() -> npt.NDArray[np.float32]:
            sig = self.reader.load_data(rec)
            return resample_signal(sig, src_fs, self.fs) if src_fs != self.fs else sig

        return self._preprocessed(desc, load), peaks

    def _item(self, index: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        index = check_index(index, len(self))
        sig, peaks = (
            self._cache[index] if self._cache is not None else self._load(self.records[index])
        )
        sig, start = fix_length(sig, self.input_len, 0)
        peaks = peaks - start
        peaks = peaks[(peaks >= 0) & (peaks < self.input_len)]
        return sig, peaks

    def rpeaks(self, index: int) -> npt.NDArray[np.int64]:
        """Reference R peaks (sample indices at ``fs``) inside item ``index``."""
        return self._item(index)[1]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        sig, peaks = self._item(index)
        sig = self._augment(sig, index)
        half = int(round(self.config.bias_thr_s * self.fs))
        mask = qrs_mask(peaks, self.input_len, half, self.config.reduction)
        return torch.from_numpy(np.ascontiguousarray(sig)), torch.from_numpy(mask)
