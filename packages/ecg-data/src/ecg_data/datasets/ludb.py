"""torch Dataset for ECG wave delineation on LUDB (Kalyakulina et al. 2020), after torch_ecg's
``LUDBDataset``: each item is a window of a record and per-sample masks of the P waves, QRS
complexes and T waves annotated in each lead.

With ``single_lead=True`` (default) every (record, lead) pair is an item:
``(signal (1, input_len), labels (input_len // reduction, n_classes))``. With
``single_lead=False`` an item is a record: ``(signal (leads, input_len), labels (leads,
input_len // reduction, n_classes))``. Class names: ``"pwave"``/``"p"``, ``"qrs"``/``"N"``,
``"twave"``/``"t"`` and ``"i"``/``"background"`` (isoelectric: no wave), so both
``("pwave", "qrs", "twave")`` and torch_ecg's ``("p", "N", "t", "i")`` work.

The samples whose class the annotation does not tell get an all-zero label row (no class), so
that a loss and a metric can leave them out (``labels.sum(-1) == 0`` when the background class
``"i"`` is among ``classes``; :meth:`LUDBDataset.wave_codes` gives -1 there): the unannotated first and
last beats of each lead, and the span between a wave's peak and the neighbouring annotated mark
when its onset or offset is not annotated (40 ms next to the first and last annotated boundary
stay background, so that an annotated boundary borders a known class) (LUDB has such waves; see
:func:`ecg_data.readers.ludb.wave_mask`). Leads whose annotation file cannot be read are dropped
and listed in ``skipped`` (with ``single_lead=False`` the whole record is dropped).

With ``db_dir=None`` a :class:`~ecg_data.readers.synthetic.SyntheticDB` of 12-lead 10 s records at
500 Hz with true wave boundaries is used.
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
    check_db_dir,
    check_fs,
    check_index,
    check_int,
    check_leads,
    check_reduction,
    check_run_fields,
    record_description,
)
from ecg_data.datasets.base import AugmentCfg, PreprocCfg, split_records
from ecg_data.readers.base import ReaderError
from ecg_data.readers.ludb import LUDB, LUDB_LEADS, Wave, wave_mask
from ecg_data.readers.synthetic import SyntheticDB

__all__ = ["LUDBTrainConfig", "LUDBTrainCfg", "LUDBDataset", "WAVE_CLASS_CODES", "UNKNOWN"]

#: Code of the samples that are not annotated (their label rows are all zero).
UNKNOWN: int = -1
#: Background kept before the first and after the last annotated boundary of a lead, in s.
EDGE_MARGIN_S: float = 0.04

#: Class name (and alias) -> code of :func:`ecg_data.readers.ludb.wave_mask`.
WAVE_CLASS_CODES: dict[str, int] = {
    "i": 0,
    "background": 0,
    "p": 1,
    "pwave": 1,
    "N": 2,
    "qrs": 2,
    "t": 3,
    "twave": 3,
}


@dataclass(slots=True)
class LUDBTrainConfig(FromConfigMixin):
    """Configuration of :class:`LUDBDataset`.

    Attributes:
        db_dir: LUDB folder (``data/<n>.*`` or ``<n>.*``); ``None`` uses a SyntheticDB.
        fs: sampling frequency of the items in Hz (records are 500 Hz).
        input_len: samples per item; the window is centred in the record (LUDB leaves the first
            and last beats unannotated), or drawn at random for training with ``random_crop``.
        leads: lead names (LUDB lower-case names; case-insensitive).
        classes: wave classes (see the module doc).
        single_lead: one item per (record, lead) instead of one per record.
        reduction: label masks have ``input_len // reduction`` rows.
        random_crop: random window start for training items.
        preproc, augment, training, lazy, seed, train_ratio: as the other Datasets.
        use_cache: cache the preprocessed records (all configured leads, at ``fs``) as ``.npy`` files in
            ``<cache_dir>/datasets/ludb`` (key: SHA-256 of the data source, record, window,
            fs, leads and preprocessing; atomic writes); off by default.
        cache_dir: cache folder of the reader (metadata) and of ``use_cache`` (default
            platformdirs' user cache folder of ecg-suite); never inside ``db_dir``.
        synthetic_records: records of the SyntheticDB when ``db_dir`` is None.
    """

    db_dir: str | os.PathLike[str] | None = None
    fs: float = 500.0
    input_len: int = 4000
    leads: tuple[str, ...] = LUDB_LEADS
    classes: tuple[str, ...] = ("pwave", "qrs", "twave")
    single_lead: bool = True
    reduction: int = 1
    random_crop: bool = False
    preproc: PreprocCfg = field(default_factory=lambda: PreprocCfg(bandpass=(0.5, 45.0)))
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    training: bool = True
    lazy: bool = True
    seed: int = 42
    train_ratio: float = 0.8
    synthetic_records: int = 40
    use_cache: bool = False
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        check_db_dir(self.db_dir)
        self.fs = check_fs(self.fs)
        self.input_len = check_int(self.input_len, "input_len (samples)", 16)
        self.leads = check_leads(self.leads)
        self.classes = check_leads(self.classes)
        bad = [c for c in self.classes if c not in WAVE_CLASS_CODES]
        if bad:
            raise ValueError(f"classes {bad} unknown; allowed: {list(WAVE_CLASS_CODES)}")
        codes = [WAVE_CLASS_CODES[c] for c in self.classes]
        if len(set(codes)) != len(codes):
            raise ValueError(f"classes name the same wave twice: {self.classes!r}")
        self.reduction = check_reduction(self.reduction, self.input_len)
        check_run_fields(self)
        self.synthetic_records = check_int(self.synthetic_records, "synthetic_records")
        check_cache_fields(self.use_cache, self.cache_dir)


#: Default configuration; copy-and-edit: ``c = deepcopy(LUDBTrainCfg); c.db_dir = ...``.
LUDBTrainCfg = LUDBTrainConfig()


class LUDBDataset(ConfiguredDataset[LUDBTrainConfig, tuple[torch.Tensor, torch.Tensor]]):
    """Wave-delineation Dataset over LUDB or the SyntheticDB (see the module doc).

    The split is record-disjoint (one record per subject in LUDB) and deterministic.

    Args:
        config: :class:`LUDBTrainConfig` or mapping.
        training: overrides ``config.training``; lazy: overrides ``config.lazy``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | LUDBTrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
    ) -> None:
        cfg = self._configure(LUDBTrainConfig, config, training, lazy, "ludb")
        self.classes = list(cfg.classes)
        self.reader: LUDB | SyntheticDB
        if cfg.db_dir is None:
            self.reader = SyntheticDB(
                cfg.synthetic_records, fs=500.0, duration_s=10.0, leads=12, seed=cfg.seed
            )
        else:
            self.reader = LUDB(cfg.db_dir, cache_dir=cfg.cache_dir)
        groups = {rec: rec for rec in self.reader.all_records}
        self.records = split_records(groups, cfg.train_ratio, cfg.seed, cfg.training)
        self.items: list[tuple[str, tuple[str, ...]]] = []
        #: (record, lead, problem) of the annotations that could not be used (items dropped).
        self.skipped: list[tuple[str, str, str]] = []
        self._waves: dict[str, dict[str, list[Wave]]] = {}
        for rec in self.records:
            names = self.reader.get_lead_names(rec)
            chans = self.reader._resolve_leads(rec, list(cfg.leads))
            leads = tuple(names[c] for c in chans)
            waves: dict[str, list[Wave]] = {}
            try:  # all leads at once: one warning per record names every incomplete wave
                waves = self._load_waves(rec, [lead.lower() for lead in leads])
            except ReaderError:
                for lead in leads:
                    try:
                        waves.update(self._load_waves(rec, [lead.lower()]))
                    except ReaderError as exc:
                        self.skipped.append((rec, lead, exc.problem))
            self._waves[rec] = waves
            good = tuple(lead for lead in leads if lead.lower() in waves)
            if cfg.single_lead:
                self.items += [(rec, (lead,)) for lead in good]
            elif len(good) == len(leads):
                self.items.append((rec, leads))
        self._cache: dict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]] = {}
        if not cfg.lazy:
            for rec in self.records:
                self._record(rec)

    def _load_waves(self, rec: str, leads: list[str]) -> dict[str, list[Wave]]:
        if isinstance(self.reader, SyntheticDB):
            return self.reader.load_waves(rec, leads)
        return self.reader.load_ann(rec, leads)

    def __len__(self) -> int:
        return len(self.items)

    def _record(self, rec: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Preprocessed signal (all configured leads, at ``fs``) and wave codes (leads, samples)."""
        if rec in self._cache:
            return self._cache[rec]
        names = self.reader.get_lead_names(rec)
        chans = self.reader._resolve_leads(rec, list(self.config.leads))
        leads = [names[c].lower() for c in chans]
        src_fs = self.reader.get_fs(rec)
        src_len = self.reader.get_siglen(rec)
        sig = self._preprocessed(
            record_description(self.reader, rec, self.fs, leads, self.config.preproc, b=src_len),
            lambda: self.reader.load_data(rec, leads=chans, fs=self.fs),
        )
        waves = self._waves[rec]
        margin = int(round(EDGE_MARGIN_S * src_fs))
        codes = np.stack(
            [
                wave_mask(waves.get(lead, []), src_len, unknown=UNKNOWN, edge_margin=margin)
                for lead in leads
            ]
        )
        if src_fs != self.fs:
            pos = np.floor(np.arange(sig.shape[-1]) * src_fs / self.fs).astype(np.int64)
            codes = codes[:, np.clip(pos, 0, src_len - 1)]
        if self.config.lazy:  # keep the last record only: items of a record are consecutive
            self._cache.clear()
        self._cache[rec] = (sig, codes)
        return sig, codes

    def wave_codes(self, index: int) -> npt.NDArray[np.int64]:
        """Codes (0 none, 1 P, 2 QRS, 3 T, -1 not annotated) of item ``index``, shape
        (item leads, input_len)."""
        return self._window(index)[1]

    def _window(self, index: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        index = check_index(index, len(self))
        rec, item_leads = self.items[index]
        sig, codes = self._record(rec)
        names = [n.lower() for n in self.reader.get_lead_names(rec)]
        chans = self.reader._resolve_leads(rec, list(self.config.leads))
        rows = [[names[c] for c in chans].index(lead.lower()) for lead in item_leads]
        sig, codes = sig[rows], codes[rows]
        n = sig.shape[-1]
        length = self.input_len
        if n >= length:
            start = (n - length) // 2
            if self.training and self.config.random_crop:
                rng = np.random.default_rng([self.config.seed, self._epoch, index, 1])
                start = int(rng.integers(0, n - length + 1))
            return (
                np.ascontiguousarray(sig[:, start : start + length]),
                np.ascontiguousarray(codes[:, start : start + length]),
            )
        out_sig = np.zeros((sig.shape[0], length), dtype=np.float32)
        out_codes = np.full((sig.shape[0], length), UNKNOWN, dtype=np.int64)
        out_sig[:, :n] = sig
        out_codes[:, :n] = codes
        return out_sig, out_codes

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        sig, codes = self._window(index)
        sig = self._augment(sig, index)
        r = self.config.reduction
        codes = codes[:, ::r][:, : self.input_len // r]
        wanted = np.array([WAVE_CLASS_CODES[c] for c in self.classes], dtype=np.int64)
        labels = (codes[..., None] == wanted).astype(np.float32)  # (leads, L // r, n_classes)
        if self.config.single_lead:
            labels = labels[0]
        return torch.from_numpy(np.ascontiguousarray(sig)), torch.from_numpy(labels)
