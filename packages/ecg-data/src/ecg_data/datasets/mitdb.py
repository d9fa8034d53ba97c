"""torch Dataset over the MIT-BIH Arrhythmia Database (Moody & Mark 2001): beat classification
into the AAMI EC57 classes and rhythm classification of fixed-length segments.

- ``task="beat"``: one item per annotated beat whose symbol maps to an AAMI class:
  ``(signal (leads, input_len) centred on the beat, labels (n_classes,) one-hot)``. The AAMI
  mapping (ANSI/AAMI EC57; de Chazal et al. 2004): N = N, L, R, e, j; S = A, a, J, S; V = V, E;
  F = F; Q = /, f, Q.
- ``task="rhythm"``: windows of ``input_len`` samples every ``input_len - overlap_len``:
  ``(signal, labels (n_classes,))``, a class is 1 when its rhythm covers at least
  ``rhythm_min_frac`` of the window (rhythms not in ``rhythm_classes`` count as ``"other"`` when
  that class is listed).

Splits: ``split="subject"`` (deterministic hash of the subject; records 201 and 202 share one),
``"de_chazal"`` (inter-patient DS1 for training / DS2 for validation, de Chazal et al. 2004), or
``"none"`` (every record on both sides, for tests and inspection).
"""

from __future__ import annotations

import numbers
import os
from collections import OrderedDict
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
    check_run_fields,
    record_description,
    require_db_dir,
    window_starts,
)
from ecg_data.datasets.base import AugmentCfg, PreprocCfg, split_records
from ecg_data.readers.mitdb import MITDB

__all__ = [
    "MITDBTrainConfig",
    "MITDBTrainCfg",
    "MITDBDataset",
    "AAMI_CLASSES",
    "AAMI_MAP",
    "DE_CHAZAL_DS1",
    "DE_CHAZAL_DS2",
]

#: AAMI EC57 beat classes.
AAMI_CLASSES: tuple[str, ...] = ("N", "S", "V", "F", "Q")
#: MIT-BIH beat symbol -> AAMI class.
AAMI_MAP: dict[str, str] = {
    **dict.fromkeys(["N", "L", "R", "e", "j"], "N"),
    **dict.fromkeys(["A", "a", "J", "S"], "S"),
    **dict.fromkeys(["V", "E"], "V"),
    "F": "F",
    **dict.fromkeys(["/", "f", "Q"], "Q"),
}
#: Inter-patient training records (de Chazal et al. 2004; paced records excluded).
DE_CHAZAL_DS1: tuple[str, ...] = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip
#: Inter-patient test records.
DE_CHAZAL_DS2: tuple[str, ...] = (
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
    "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
)  # fmt: skip
_TASKS = ("beat", "rhythm")
_SPLITS = ("subject", "de_chazal", "none")
_LRU = 2


@dataclass(slots=True)
class MITDBTrainConfig(FromConfigMixin):
    """Configuration of :class:`MITDBDataset`.

    Attributes:
        db_dir: MITDB folder.
        task: ``"beat"`` or ``"rhythm"``.
        fs: sampling frequency of the items in Hz (records are 360 Hz).
        input_len: samples per item (beat windows are centred on the beat).
        overlap_len: overlap of consecutive rhythm windows in samples.
        leads: lead names; records lacking one are skipped (listed in ``skipped_records``).
        classes: AAMI beat classes (task ``beat``).
        rhythm_classes: rhythm names of the aux notes (task ``rhythm``), ``"other"`` for the rest.
        rhythm_min_frac: fraction of a window a rhythm must cover to be labelled, in (0, 1].
        split: ``"subject"``, ``"de_chazal"`` or ``"none"``.
        preproc, augment, training, lazy, seed, train_ratio: as the other Datasets (``lazy``
            keeps only the last two preprocessed records in memory).
        use_cache: cache the preprocessed records (configured leads, at ``fs``) as ``.npy`` files in
            ``<cache_dir>/datasets/mitdb`` (key: SHA-256 of the data source, record, window,
            fs, leads and preprocessing; atomic writes); off by default.
        cache_dir: cache folder of the reader (metadata) and of ``use_cache`` (default
            platformdirs' user cache folder of ecg-suite); never inside ``db_dir``.
    """

    db_dir: str | os.PathLike[str] | None = None
    task: str = "beat"
    fs: float = 360.0
    input_len: int = 360
    overlap_len: int = 0
    leads: tuple[str, ...] = ("MLII",)
    classes: tuple[str, ...] = AAMI_CLASSES
    rhythm_classes: tuple[str, ...] = ("N", "AFIB", "AFL", "B", "T", "VT", "SBR", "other")
    rhythm_min_frac: float = 0.5
    split: str = "subject"
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
        check_cache_fields(self.use_cache, self.cache_dir)
        self.task = check_choice(self.task, "task", _TASKS)
        self.split = check_choice(self.split, "split", _SPLITS)
        self.fs = check_fs(self.fs)
        self.input_len = check_int(self.input_len, "input_len (samples)", 16)
        self.overlap_len = check_int(self.overlap_len, "overlap_len (samples)", 0)
        if self.overlap_len >= self.input_len:
            raise ValueError(
                f"overlap_len={self.overlap_len} samples must be < input_len={self.input_len} samples"
            )
        self.leads = check_leads(self.leads)
        self.classes = check_leads(self.classes)
        bad = [c for c in self.classes if c not in AAMI_CLASSES]
        if bad:
            raise ValueError(f"classes {bad} are not AAMI classes {list(AAMI_CLASSES)}")
        self.rhythm_classes = check_leads(self.rhythm_classes)
        f = self.rhythm_min_frac
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 < f <= 1:
            raise ValueError(f"rhythm_min_frac must be a fraction in (0, 1], got {f!r}")
        check_run_fields(self)


#: Default configuration; copy-and-edit: ``c = deepcopy(MITDBTrainCfg); c.db_dir = ...``.
MITDBTrainCfg = MITDBTrainConfig()


class MITDBDataset(ConfiguredDataset[MITDBTrainConfig, tuple[torch.Tensor, torch.Tensor]]):
    """Beat or rhythm classification Dataset over MITDB (see the module doc).

    Args:
        config: :class:`MITDBTrainConfig` or mapping.
        training: overrides ``config.training``; lazy: overrides ``config.lazy``.
        task: overrides ``config.task``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | MITDBTrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
        task: str | None = None,
    ) -> None:
        cfg = self._configure(MITDBTrainConfig, config, training, lazy, "mitdb")
        if task is not None:
            cfg.task = check_choice(task, "task", _TASKS)
        db_dir = require_db_dir(cfg.db_dir, "MITDB")
        self.task = cfg.task
        self.classes = list(cfg.classes if cfg.task == "beat" else cfg.rhythm_classes)
        self.reader = MITDB(db_dir, cache_dir=cfg.cache_dir)
        self.records = self._split()
        self.skipped_records: list[str] = []
        wanted = [x.lower() for x in cfg.leads]
        kept: list[str] = []
        for rec in self.records:
            names = [n.lower() for n in self.reader.get_lead_names(rec)]
            (kept if all(w in names for w in wanted) else self.skipped_records).append(rec)
        self.records = kept
        # items: (record, centre or start sample at fs, label row)
        self.items: list[tuple[str, int, npt.NDArray[np.float32]]] = []
        for rec in self.records:
            self.items += self._beat_items(rec) if cfg.task == "beat" else self._rhythm_items(rec)
        self._sigs: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()

    def _split(self) -> list[str]:
        cfg = self.config
        recs = self.reader.all_records
        if cfg.split == "none":
            return recs
        if cfg.split == "de_chazal":
            part = DE_CHAZAL_DS1 if cfg.training else DE_CHAZAL_DS2
            return [r for r in recs if r in part]
        groups = {r: "201" if r == "202" else r for r in recs}
        return split_records(groups, cfg.train_ratio, cfg.seed, cfg.training)

    def __len__(self) -> int:
        return len(self.items)

    def _beat_items(self, rec: str) -> list[tuple[str, int, npt.NDArray[np.float32]]]:
        ann = self.reader.load_ann(rec)
        ratio = self.fs / self.reader.get_fs(rec)
        out = []
        eye = np.eye(len(self.classes), dtype=np.float32)
        for s, sym in zip(ann.beat_samples, ann.beat_symbols, strict=True):
            aami = AAMI_MAP.get(sym)
            if aami is None or aami not in self.classes:
                continue
            out.append((rec, int(round(int(s) * ratio)), eye[self.classes.index(aami)]))
        return out

    def _rhythm_items(self, rec: str) -> list[tuple[str, int, npt.NDArray[np.float32]]]:
        src_fs = self.reader.get_fs(rec)
        siglen = self.reader.get_siglen(rec)
        n = int(round(siglen * self.fs / src_fs))
        codes = np.full(n, -1, dtype=np.int64)
        other = self.classes.index("other") if "other" in self.classes else -1
        for name, intervals in self.reader.load_ann(rec).rhythms.items():
            code = self.classes.index(name) if name in self.classes else other
            for a, b in intervals:
                codes[int(round(a * self.fs / src_fs)) : int(round(b * self.fs / src_fs))] = code
        stride = self.input_len - self.config.overlap_len
        out = []
        for start in window_starts(n, self.input_len, stride):
            win = codes[start : start + self.input_len]
            counts = np.bincount(win[win >= 0], minlength=len(self.classes))
            label = (counts / self.input_len >= self.config.rhythm_min_frac).astype(np.float32)
            out.append((rec, start, label))
        return out

    def _record(self, rec: str) -> npt.NDArray[np.float32]:
        """Preprocessed signal of the configured leads at ``fs``, (leads, samples)."""
        if rec in self._sigs:
            self._sigs.move_to_end(rec)
            return self._sigs[rec]
        leads = self.config.leads
        sig = self._preprocessed(
            record_description(self.reader, rec, self.fs, leads, self.config.preproc),
            lambda: self.reader.load_data(rec, leads=list(leads), fs=self.fs),
        )
        self._sigs[rec] = sig
        if self.config.lazy and len(self._sigs) > _LRU:
            self._sigs.popitem(last=False)
        return sig

    def item_info(self, index: int) -> tuple[str, int]:
        """(record, beat sample at ``fs`` or window start) of item ``index``."""
        rec, pos, _ = self.items[index]
        return rec, pos

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = check_index(index, len(self))
        rec, pos, label = self.items[index]
        sig = self._record(rec)
        start = pos - self.input_len // 2 if self.task == "beat" else pos
        out = np.zeros((sig.shape[0], self.input_len), dtype=np.float32)
        a, b = max(start, 0), min(start + self.input_len, sig.shape[-1])
        if a < b:
            out[:, a - start : b - start] = sig[:, a:b]
        out = self._augment(out, index)
        return torch.from_numpy(out), torch.from_numpy(label.copy())
