"""torch Dataset for multi-label classification on PTB-XL (Wagner et al. 2020) with the benchmark's
label sets and folds (Strodthoff et al. 2021, "Deep learning for ECG analysis: benchmarks and
insights from PTB-XL", IEEE JBHI 25(5)): ``strat_fold`` 1-8 train, 9 validation, 10 test.

Items: ``(signal (leads, input_len), labels (n_classes,))`` multi-hot float32. Records without
any label of the task are dropped (as in the benchmark).
"""

from __future__ import annotations

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
    check_sub_configs,
    record_description,
    require_db_dir,
)
from ecg_data.datasets.base import (
    AugmentCfg,
    PreprocCfg,
    fix_length,
)
from ecg_data.readers.ptbxl import PTBXL, PTBXL_LEADS, PTBXL_TASKS

__all__ = ["PTBXLTrainConfig", "PTBXLTrainCfg", "PTBXLDataset", "PTBXL_FOLDS"]

#: Folds of each part of the recommended split.
PTBXL_FOLDS: dict[str, tuple[int, ...]] = {"train": tuple(range(1, 9)), "val": (9,), "test": (10,)}


@dataclass(slots=True)
class PTBXLTrainConfig(FromConfigMixin):
    """Configuration of :class:`PTBXLDataset`.

    Attributes:
        db_dir: PTB-XL folder.
        task: label set, one of ``all``, ``diagnostic``, ``subdiagnostic``, ``superdiagnostic``,
            ``form``, ``rhythm``.
        sampling_rate: record files used, 100 (``records100``) or 500 Hz (``records500``).
        fs: sampling frequency of the items in Hz; input_len: samples per item.
        leads: lead names.
        classes: label names; empty: every label of the task found in the training folds with at
            least ``min_samples`` records, sorted.
        min_samples: see ``classes``; min_likelihood: SCP likelihood threshold in %.
        part: ``"train"``, ``"val"`` or ``"test"``; ``None`` follows ``training`` (train / val).
        preproc, augment, training, lazy, seed: as the other Datasets.
        use_cache: cache the preprocessed records (configured leads, at ``fs``) as ``.npy`` files in
            ``<cache_dir>/datasets/ptb-xl`` (key: SHA-256 of the data source, record, window,
            fs, leads and preprocessing; atomic writes); off by default.
        cache_dir: cache folder of the reader (metadata) and of ``use_cache`` (default
            platformdirs' user cache folder of ecg-suite); never inside ``db_dir``.
    """

    db_dir: str | os.PathLike[str] | None = None
    task: str = "superdiagnostic"
    sampling_rate: int = 100
    fs: float = 100.0
    input_len: int = 1000
    leads: tuple[str, ...] = PTBXL_LEADS
    classes: tuple[str, ...] = ()
    min_samples: int = 1
    min_likelihood: float = 0.0
    part: str | None = None
    preproc: PreprocCfg = field(default_factory=lambda: PreprocCfg(bandpass=(0.5, 45.0)))
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    training: bool = True
    lazy: bool = True
    seed: int = 42
    use_cache: bool = False
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        check_db_dir(self.db_dir)
        check_cache_fields(self.use_cache, self.cache_dir)
        self.task = check_choice(self.task, "task", PTBXL_TASKS)
        if self.sampling_rate not in (100, 500):
            raise ValueError(f"sampling_rate must be 100 or 500 Hz, got {self.sampling_rate!r}")
        self.fs = check_fs(self.fs)
        self.input_len = check_int(self.input_len, "input_len (samples)", 16)
        self.leads = check_leads(self.leads)
        self.classes = tuple(self.classes)
        if not all(isinstance(c, str) for c in self.classes):
            raise ValueError(f"classes must be label names, got {self.classes!r}")
        self.min_samples = check_int(self.min_samples, "min_samples (records)")
        if not isinstance(self.min_likelihood, int | float) or not 0 <= self.min_likelihood <= 100:
            raise ValueError(f"min_likelihood must be in [0, 100] %, got {self.min_likelihood!r}")
        if self.part is not None:
            self.part = check_choice(self.part, "part", list(PTBXL_FOLDS))
        self.preproc, self.augment = check_sub_configs(self.preproc, self.augment)
        self.seed = check_int(self.seed, "seed", 0)


#: Default configuration; copy-and-edit: ``c = deepcopy(PTBXLTrainCfg); c.db_dir = ...``.
PTBXLTrainCfg = PTBXLTrainConfig()


class PTBXLDataset(ConfiguredDataset[PTBXLTrainConfig, tuple[torch.Tensor, torch.Tensor]]):
    """Multi-label Dataset over PTB-XL (see the module doc).

    Args:
        config: :class:`PTBXLTrainConfig` or mapping.
        training: overrides ``config.training``; lazy: overrides ``config.lazy``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | PTBXLTrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
    ) -> None:
        cfg = self._configure(PTBXLTrainConfig, config, training, lazy, "ptb-xl")
        db_dir = require_db_dir(cfg.db_dir, "PTB-XL")
        self.part = cfg.part or ("train" if cfg.training else "val")
        self.reader = PTBXL(db_dir, sampling_rate=cfg.sampling_rate, cache_dir=cfg.cache_dir)
        table = self.reader.database_table
        labels = {
            rec: self.reader.labels(rec, cfg.task, cfg.min_likelihood)
            for rec in self.reader.all_records
        }
        fold = {rec: int(table.loc[int(rec), "strat_fold"]) for rec in labels}
        if cfg.classes:
            self.classes = list(cfg.classes)
        else:
            counts: dict[str, int] = {}
            for rec, labs in labels.items():
                if fold[rec] in PTBXL_FOLDS["train"]:
                    for lab in labs:
                        counts[lab] = counts.get(lab, 0) + 1
            self.classes = sorted(c for c, n in counts.items() if n >= cfg.min_samples)
        index = {c: k for k, c in enumerate(self.classes)}
        self.records: list[str] = []
        self._labels: list[npt.NDArray[np.float32]] = []
        for rec in self.reader.all_records:
            if fold[rec] not in PTBXL_FOLDS[self.part]:
                continue
            row = np.zeros(len(self.classes), dtype=np.float32)
            for lab in labels[rec]:
                if lab in index:
                    row[index[lab]] = 1.0
            if row.any():
                self.records.append(rec)
                self._labels.append(row)
        self._sigs: list[npt.NDArray[np.float32]] | None = None
        if not cfg.lazy:
            self._sigs = [self._load(rec) for rec in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def _load(self, rec: str) -> npt.NDArray[np.float32]:
        """Preprocessed record (through the disk cache if enabled), cropped or padded."""
        desc = record_description(
            self.reader,
            rec,
            self.fs,
            self.config.leads,
            self.config.preproc,
            file=str(self.reader.record_path(rec)),
        )
        sig = self._preprocessed(
            desc, lambda: self.reader.load_data(rec, leads=list(self.config.leads), fs=self.fs)
        )
        return fix_length(sig, self.input_len, 0)[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = check_index(index, len(self))
        sig = self._sigs[index] if self._sigs is not None else self._load(self.records[index])
        sig = self._augment(sig, index)
        return torch.from_numpy(np.ascontiguousarray(sig)), torch.from_numpy(
            self._labels[index].copy()
        )
