"""torch Datasets for multi-label classification on the PhysioNet/CinC Challenges 2020/2021
(Perez Alday et al. 2020; Reyna et al. 2021): fixed-length 12/6/4/3/2-lead signals and multi-hot
labels over the scored classes (after the equivalence classes)."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

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
    check_run_fields,
    record_description,
    require_db_dir,
)
from ecg_data.datasets.base import (
    AugmentCfg,
    PreprocCfg,
    apply_augment,
    fix_length,
    split_records,
)
from ecg_data.readers.base import resample_signal
from ecg_data.readers.cinc2021 import (
    CINC2020,
    CINC2021,
    LEAD_SETS,
    SCORED_CINC2020,
    SCORED_CINC2021,
    SNOMED_ABBR,
)

__all__ = [
    "CINC2021TrainConfig",
    "CINC2021TrainCfg",
    "CINC2021Dataset",
    "CINC2020TrainConfig",
    "CINC2020TrainCfg",
    "CINC2020Dataset",
]


@dataclass(slots=True)
class CINC2021TrainConfig(FromConfigMixin):
    """Configuration of :class:`CINC2021Dataset`.

    Attributes:
        db_dir: folder of the challenge records (searched recursively for ``.hea``).
        fs: sampling frequency of the items in Hz (records are resampled).
        input_len: samples per item (cropped, randomly in training, or zero-padded).
        leads: lead names, or a lead count of the challenge (12, 6, 4, 3, 2).
        classes: class abbreviations or SNOMED CT codes (default: the scored classes).
        preproc / augment: preprocessing of every item / augmentation of training items.
        training, lazy, seed, train_ratio: as in every Dataset config.
        use_cache: cache the preprocessed records (resampled to ``fs``) as ``.npy`` files in
            ``<cache_dir>/datasets/<cinc2021|cinc2020>`` (key: SHA-256 of the data source, record, window,
            fs, leads and preprocessing; atomic writes); off by default.
        cache_dir: cache folder of the reader (metadata) and of ``use_cache`` (default
            platformdirs' user cache folder of ecg-suite); never inside ``db_dir``.
    """

    db_dir: str | os.PathLike[str] | None = None
    fs: float = 500.0
    input_len: int = 5000
    leads: tuple[str, ...] | int = 12
    classes: tuple[str, ...] = tuple(SNOMED_ABBR[c] for c in SCORED_CINC2021)
    preproc: PreprocCfg = field(default_factory=PreprocCfg)
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    training: bool = True
    lazy: bool = True
    seed: int = 42
    train_ratio: float = 0.8
    use_cache: bool = False
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        check_db_dir(self.db_dir)
        self.fs = check_fs(self.fs)
        if (
            isinstance(self.input_len, bool)
            or not isinstance(self.input_len, numbers.Integral)
            or self.input_len < 16
        ):
            raise ValueError(f"input_len must be an integer >= 16 samples, got {self.input_len!r}")
        if isinstance(self.leads, numbers.Integral) and not isinstance(self.leads, bool):
            if int(self.leads) not in LEAD_SETS:
                raise ValueError(
                    f"leads as a count must be one of {sorted(LEAD_SETS)}, got {self.leads!r}"
                )
            self.leads = LEAD_SETS[int(self.leads)]
        elif isinstance(self.leads, str) or not all(isinstance(x, str) for x in self.leads):
            raise TypeError(
                f"leads must be a sequence of lead names or a lead count, got {self.leads!r}"
            )
        self.leads = tuple(self.leads)
        allowed = LEAD_SETS[12]
        bad = [x for x in self.leads if x not in allowed]
        if bad or not self.leads or len(set(self.leads)) != len(self.leads):
            raise ValueError(
                f"leads must be distinct names among {list(allowed)}, got {list(self.leads)}"
            )
        self.classes = tuple(self.classes)
        if not self.classes or not all(isinstance(c, str) for c in self.classes):
            raise ValueError(
                f"classes must be a non-empty sequence of abbreviations/codes, got {self.classes!r}"
            )
        check_run_fields(self)
        check_cache_fields(self.use_cache, self.cache_dir)


@dataclass(slots=True)
class CINC2020TrainConfig(CINC2021TrainConfig):
    """Configuration of :class:`CINC2020Dataset` (the 24 scored classes of 2020 by default)."""

    classes: tuple[str, ...] = tuple(SNOMED_ABBR[c] for c in SCORED_CINC2020)


#: Default configurations; copy-and-edit: ``c = deepcopy(CINC2021TrainCfg); c.db_dir = ...``.
CINC2021TrainCfg = CINC2021TrainConfig()
CINC2020TrainCfg = CINC2020TrainConfig()


class CINC2021Dataset(ConfiguredDataset[CINC2021TrainConfig, tuple[torch.Tensor, torch.Tensor]]):
    """Multi-label Dataset over CinC 2021 records.

    Items: ``(signal, labels)``; signal float32 (len(leads), input_len), labels float32
    multi-hot (len(classes),). Records whose leads lack one of ``leads`` raise a ReaderError on
    access. The split is record-disjoint and deterministic.

    Args:
        config: config dataclass or mapping; training / lazy override the config's.
    """

    reader_cls: ClassVar[type[CINC2021]] = CINC2021
    config_cls: ClassVar[type[CINC2021TrainConfig]] = CINC2021TrainConfig

    def __init__(
        self,
        config: Mapping[str, Any] | CINC2021TrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
    ) -> None:
        cfg = self._configure(self.config_cls, config, training, lazy, self.reader_cls.name)
        db_dir = require_db_dir(cfg.db_dir, self.reader_cls.name)
        self.classes = list(cfg.classes)
        self.leads = (
            list(cfg.leads) if not isinstance(cfg.leads, int) else list(LEAD_SETS[cfg.leads])
        )
        self.reader = self.reader_cls(db_dir, cache_dir=cfg.cache_dir)
        groups = {rec: rec for rec in self.reader.all_records}
        self.records = split_records(groups, cfg.train_ratio, cfg.seed, cfg.training)
        self._labels = (
            np.stack([self.reader.multi_hot(r, self.classes) for r in self.records])
            if self.records
            else (np.zeros((0, len(self.classes)), dtype=np.float32))
        )
        self._cache: list[npt.NDArray[np.float32]] | None = None
        if cfg.preproc.bandpass is not None:
            import scipy.signal  # noqa: F401 (imported once here, not in every DataLoader worker)
        if not cfg.lazy:
            self._cache = [self._load(rec) for rec in self.records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def labels(self) -> npt.NDArray[np.float32]:
        """Multi-hot labels of all items, (n_items, n_classes)."""
        return self._labels.copy()

    def _load(self, rec: str) -> npt.NDArray[np.float32]:
        """Preprocessed record (leads, samples at ``fs``), through the disk cache if enabled."""
        src_fs = self.reader.get_fs(rec)
        desc = record_description(self.reader, rec, self.fs, self.leads, self.config.preproc)

        def load() -> npt.NDArray[np.float32]:
            sig = self.reader.load_data(rec, leads=self.leads)
            return resample_signal(sig, src_fs, self.fs) if src_fs != self.fs else sig

        return self._preprocessed(desc, load)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = check_index(index, len(self))
        sig = self._cache[index] if self._cache is not None else self._load(self.records[index])
        rng = np.random.default_rng([self.config.seed, self._epoch, index])
        start = 0
        if self.training and sig.shape[-1] > self.input_len:
            start = int(rng.integers(0, sig.shape[-1] - self.input_len + 1))
        sig, _ = fix_length(sig, self.input_len, start)
        if self.training and self.config.augment.active:
            sig = apply_augment(sig, self.fs, self.config.augment, rng)
        return torch.from_numpy(np.ascontiguousarray(sig)), torch.from_numpy(
            self._labels[index].copy()
        )


class CINC2020Dataset(CINC2021Dataset):
    """Multi-label Dataset over CinC 2020 records (24 scored classes, 2020 equivalences)."""

    reader_cls: ClassVar[type[CINC2021]] = CINC2020
    config_cls: ClassVar[type[CINC2021TrainConfig]] = CINC2020TrainConfig
